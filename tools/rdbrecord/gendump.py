# Builds testdata/compat/dump.txt from dump.tmpl: {{name}} becomes the
# escaped DUMP payload redis-server 7.0 gives for the key set up below,
# or a deliberately broken payload for RESTORE's error cases.
# Usage: python3 tools/rdbrecord/gendump.py tools/rdbrecord/dump.tmpl testdata/compat/dump.txt
# then record the golden file with tools/goldenrecord.
import socket, subprocess, time, sys, tempfile
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
tmp = tempfile.mkdtemp()
p = subprocess.Popen(["redis-server","--port",str(port),"--bind","127.0.0.1","--save","","--appendonly","no","--dir",tmp],stdout=subprocess.DEVNULL)
deadline = time.time() + 10
while True:
    try:
        s = socket.create_connection(("127.0.0.1",port)); break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.05)
f = s.makefile('rb')
def cmd(*a):
    out = b"*%d\r\n" % len(a)
    for x in a:
        if isinstance(x,str): x=x.encode()
        out += b"$%d\r\n%s\r\n" % (len(x), x)
    s.sendall(out)
    return read()
def read():
    l = f.readline()
    if l[:1]==b'$':
        n=int(l[1:])
        if n<0: return None
        d=f.read(n+2); return d[:-2]
    if l[:1]==b'*':
        return [read() for _ in range(int(l[1:]))]
    return l
def esc(b):
    o='"'
    for c in b:
        if 32<=c<127 and chr(c) not in '"\\': o+=chr(c)
        else: o+='\\x%02x'%c
    return o+'"'
cmd("FLUSHALL")
src = {
 'str': [("SET","k","hello world")],
 'int': [("SET","k","-123456")],
 'lzf': [("SET","k","abc"*40)],
 'list': [("RPUSH","k","a","1","-70000","b"*70)],
 'bigint': [("SADD","k","1","2","-5000000000")],
 'sethash': [("SADD","k","x","y","z")],
 'zset': [("ZADD","k","1.5","a","-2","b")],
 'zsetbig': [("ZADD","k","1","m"*80,"2","n")],
 'hash': [("HSET","k","f","v","n","12")],
 'hashbig': [("HSET","k","f","v"*100)],
 'stream': [("XADD","k","1-1","a","1"),("XADD","k","1-2","b","2"),("XADD","k","3-0","a","3"),("XGROUP","CREATE","k","g1","0"),("XREADGROUP","GROUP","g1","c1","COUNT","2","STREAMS","k",">"),("XGROUP","CREATE","k","g2","$")],
}
payloads={}
for name, cmds in src.items():
    cmd("DEL","k")
    for c in cmds: cmd(*c)
    payloads[name]=cmd("DUMP","k")
good = payloads['str']
# Variants: wrong checksum, version 11, valid footer around a garbage body.
import struct
def crc64(b):
    poly=0x95ac9329ac4bc9b5; crc=0
    for c in b:
        crc ^= c
        for _ in range(8):
            crc = (crc>>1) ^ poly if crc&1 else crc>>1
    return crc
def footer(body, ver=10):
    b = body + struct.pack('<H', ver)
    return b + struct.pack('<Q', crc64(b))
payloads['badcrc'] = good[:-1] + bytes([good[-1]^1])
payloads['ver11'] = footer(good[:-10], 11)
payloads['garbage'] = footer(b'\x00\x85abc')
payloads['badtype'] = footer(b'\x63\x01a')
payloads['trailing'] = footer(good[:-10] + b'\x00')
payloads['emptylist'] = footer(b'\x12\x00')
payloads['module'] = footer(b'\x07\x81' + struct.pack('>Q', 0x1234567890abcdef))
assert crc64(b"123456789")==0xe9c6d914c4b8d9ca
t=open(sys.argv[1]).read()
for k,v in payloads.items():
    t=t.replace('{{%s}}'%k, esc(v))
assert '{{' not in t
open(sys.argv[2],'w').write(t)
p.kill()
