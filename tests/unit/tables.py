"""A small valid rule table, one component on the standard lifecycle, for tests to vary."""

ONE_COMPONENT_TABLE = """\
lifecycles:
  standard:
    initial: not_started
    states: [not_started, started, ended]
    triggers: [start, end]
    transitions:
      - {trigger: start, source: not_started, dest: started, set: start}
      - {trigger: start, source: started, dest: started, set: start}
      - {trigger: end, source: started, dest: ended, set: end, guards: [date_not_before_start]}
      - {trigger: end, source: ended, dest: ended, set: end, guards: [date_not_before_start]}
    rejections:
      - {trigger: end, source: not_started, code: end_without_start}
      - {trigger: start, source: ended, code: restart_after_end}
guards:
  date_not_before_start: {code: end_before_start}
messages:
  end_without_start: End event cannot occur without a prior start event.
  end_before_start: End event cannot occur before start event.
  restart_after_end: A terminated component cannot be restarted.
components:
  energy_supply:
    lifecycle: standard
    events:
      supply_energy_start: start
      supply_energy_end: end
"""
