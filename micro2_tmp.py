import asyncio, time, socket
from datetime import UTC, datetime
from app.webhooks import signing
secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
body = '{"seq":1,"committed_at":"2020-01-01T00:00:00Z"}'
if __name__ == "__main__":
    from tests.perf.receiver_process import ReceiverProcess
    t=time.perf_counter()
    for i in range(2000): signing.headers(secret, i, body, datetime.now(UTC))
    print(f"signing: {(time.perf_counter()-t)/2000*1e6:.0f} us")
    r = ReceiverProcess().start(); r.set_secret(secret)
    host, port = r.url.split("//")[1].split("/")[0].split(":")
    async def main():
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t=time.perf_counter(); c0=time.process_time()
        for i in range(2000):
            h = signing.headers(secret, i, body, datetime.now(UTC))
            req = f"POST /bench HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k,v in h.items()) + "\r\n" + body
            writer.write(req.encode())
            status = await reader.readline()
            while (line := await reader.readline()) not in (b"\r\n", b""): pass
        dt=time.perf_counter()-t; cpu=time.process_time()-c0
        print(f"raw asyncio: {2000/dt:.0f}/s, client cpu {cpu/2000*1e6:.0f} us/req, {status!r}")
    asyncio.run(main())
    r.stop()
