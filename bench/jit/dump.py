"""Copy SwiftShader's executable JIT mappings out of a live process and annotate their
disassembly with perf's sample counts. Usage: python3 dump.py PID OUTDIR (after perf record
wrote OUTDIR/perf.data and OUTDIR/maps.txt holds the process's swiftshader_jit mappings)."""
import collections
import re
import subprocess
import sys

pid, out = int(sys.argv[1]), sys.argv[2]
segments = []
with open(f'{out}/maps.txt') as maps:
    for line in maps:
        fields = line.split()
        if 'x' not in fields[1]:
            continue  # only the executable mappings hold code
        lo, hi = (int(v, 16) for v in fields[0].split('-'))
        with open(f'/proc/{pid}/mem', 'rb') as mem:
            mem.seek(lo)
            code = mem.read(hi - lo)
        with open(f'{out}/jit_{lo:x}.bin', 'wb') as f:
            f.write(code)
        segments.append(lo)

script = subprocess.run(['perf', 'script', '-i', f'{out}/perf.data', '-F', 'ip,dso'],
                        capture_output=True, text=True, check=True).stdout
samples = collections.Counter()
total = 0
for line in script.splitlines():
    parts = line.split()
    if len(parts) < 2:
        continue
    total += 1
    if 'swiftshader_jit' in parts[1]:
        samples[int(parts[0], 16)] += 1
print(f'{total} samples, {sum(samples.values())} in JIT code')

with open(f'{out}/annotated.txt', 'w') as annotated:
    for lo in segments:
        listing = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', f'--adjust-vma={lo}',
                                  f'{out}/jit_{lo:x}.bin'], capture_output=True, text=True, check=True).stdout
        for line in listing.splitlines():
            m = re.match(r'\s+([0-9a-f]+):\t', line)
            if m:
                annotated.write('%6d %s\n' % (samples.get(int(m.group(1), 16), 0), line))
