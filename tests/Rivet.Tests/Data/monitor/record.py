#!/usr/bin/env python3
"""Records qemu-system-riscv64's human monitor for HmpReadlineTests and ChardevMuxTests.

Run from the repository root with QEMU 7.2 installed and the guests built:
    python3 tests/Rivet.Tests/Data/monitor/record.py
Each scenario sends its steps one at a time (byte by byte) and keeps what QEMU wrote after each
step, until it has been quiet for a while. QEMU's own version string (Debian's is 7.2.x) is
written as 7.2.0, the interface level Rivet reports. Output: readline-*.json (over a unix
socket, -monitor unix:...) and mux-*.json (over a pseudo-terminal, -nographic).
"""
import json, os, pty, select, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = 'guests/build/input/echo.elf'
BASE = ['qemu-system-riscv64', '-M', 'virt', '-bios', 'none', '-kernel', GUEST]

def normalize(b):
    import re
    return re.sub(rb'QEMU 7\.2\.\d+ monitor', b'QEMU 7.2.0 monitor', b)

def quiet_read(read, quiet=0.4):
    out = b''
    end = time.time() + quiet
    while time.time() < end:
        d = read()
        if d:
            out += d
            end = time.time() + quiet
    return out

def socket_scenario(steps):
    path = '/tmp/rivet-record-monitor.sock'
    if os.path.exists(path): os.unlink(path)
    q = subprocess.Popen(BASE + ['-display', 'none', '-serial', 'null', '-monitor', f'unix:{path},server,wait=off'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(path): time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(0.05)
    def read():
        try: return s.recv(65536)
        except socket.timeout: return b''
    out = [{'send': '', 'expect': normalize(quiet_read(read)).decode('latin1')}]
    for step in steps:
        for ch in step.encode('latin1'):
            s.send(bytes([ch])); time.sleep(0.005)
        out.append({'send': step, 'expect': normalize(quiet_read(read)).decode('latin1')})
    s.close(); q.kill(); q.wait()
    return out

def pty_scenario(steps):
    m, sl = pty.openpty()
    q = subprocess.Popen(BASE + ['-nographic'], stdin=sl, stdout=sl, stderr=sl, start_new_session=True)
    def read():
        r, _, _ = select.select([m], [], [], 0.05)
        if not r: return b''
        try: return os.read(m, 65536)
        except OSError: return b''
    out = [{'send': '', 'expect': normalize(quiet_read(read, 1.0)).decode('latin1')}]
    for step in steps:
        for ch in step.encode('latin1'):
            os.write(m, bytes([ch])); time.sleep(0.02)
        out.append({'send': step, 'expect': normalize(quiet_read(read)).decode('latin1')})
    try: code = q.wait(3)
    except subprocess.TimeoutExpired: q.kill(); code = None
    return {'steps': out, 'exit': code}

SOCKET = {
    'info': ['info status\r', 'info name\r'],
    'edit': ['abc', '\x1b[D', '\x1b[D', 'X', '\x1b[C', '\x7f', '\x01', 'Y', '\x05', 'Z', '\x1b[1~', '\x1b[4~', '\x1bOH', '\x1bOF',
             '\x04', '\x1b[3~', '\x01', '\x04', '\x1b[3~', '\r'],
    'word': ['info   status  x', '\x17', '\x17', '\x17', '\x17', '\x17', 'abc def', '\x01', '\x17', '\x05', '\x17', '\r'],
    'ignored': ['ab', '\x15', '\x0b', '\x10', '\x0e', '\x02', '\x06', '\x1bx', '\x1b[Z', '\x1b[99~', '\x1b[5~', '\r'],
    'history': ['\x1b[A\x1b[B', 'info status\r', 'info name\r', 'info status\r', '\x1b[A', '\x1b[A', '\x1b[A', '\x1b[A', '\x1b[B',
                '\x1b[B', '\x1b[B', '\x1b[F', '\x1b[E', '\x1b[E', '\r', '\x1b[A', '\x7f\x7f\x7f\x7f', '\r', '\x1b[A', '\x1b[B', '\r'],
    'history2': ['a\r', 'b\r', '\x1b[A', '\x1b[A', '\x7f\x7f', '\r', '\x1b[A', '\x1b[A', '\x1b[B', '\r', '\x1b[A', '\x1b[A', '\x1b[A'],
    'clear': ['abc', '\x0c', 'd', '\r'],
    'errors': ['foo\r', 'info foo\r', 'x /3x\r', 'p 1+\r', 'help info status\r', 'help quit\r', '\r', '   \r'],
    'csi': ['ab\x9bD', 'X', '\r'],
    'latin1': ['\xe9t\xe9\r'],
    'runcontrol': ['stop\r', 'info status\r', 'cont\r', 'info status\r', 'c\r', 's\r', 'info status\r'],
    'complete': ['info cp\t', '\x01' + '\x04' * 20, 'info reg\t', '\x01' + '\x04' * 20, 'system_r\t', '\x01' + '\x04' * 20, 'info ver\t', '\x01' + '\x04' * 20, 'help qu\t', '\r'],
    'quit': ['quit\r'],
}
PTY = {
    'help': ['\x01h', '\x01?', '\x01x'],
    'switch': ['ab', '\x01c', 'info status\r', '\x01c', '\x01\x01', '\x01c', 'info name\r', '\x01c', 'q'],
    'quiet': ['\x01s', '\x01z', '\x01b', '\x03', '\x01x'],
}

if __name__ == '__main__':
    for name, steps in SOCKET.items():
        with open(os.path.join(HERE, f'readline-{name}.json'), 'w') as f:
            json.dump(socket_scenario(steps), f, indent=1)
            f.write('\n')
    for name, steps in PTY.items():
        with open(os.path.join(HERE, f'mux-{name}.json'), 'w') as f:
            json.dump(pty_scenario(steps), f, indent=1)
            f.write('\n')
