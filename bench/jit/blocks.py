"""The hottest basic blocks of an annotated JIT listing (from dump.py): address range, size,
share of the samples and the most frequent instructions. Usage: python3 blocks.py FILE [TOP]."""
import collections
import re
import sys

rows = []  # (samples, address, instruction text)
with open(sys.argv[1]) as listing:
    for line in listing:
        m = re.match(r'\s*(\d+)\s+([0-9a-f]+):\t[^\t]*\t?(.*)', line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2), 16), m.group(3).strip()))
targets = set()
for _, _, text in rows:
    m = re.match(r'j\w+\s+0x([0-9a-f]+)', text)
    if m:
        targets.add(int(m.group(1), 16))
blocks, current = [], []
for row in rows:
    if row[1] in targets and current:
        blocks.append(current)
        current = []
    current.append(row)
    if row[2].startswith('j'):
        blocks.append(current)
        current = []
if current:
    blocks.append(current)
total = sum(r[0] for r in rows) or 1
top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
print(f'{total} samples in JIT code; hottest basic blocks:')
for block in sorted(blocks, key=lambda b: -sum(r[0] for r in b))[:top]:
    hits = sum(r[0] for r in block)
    ops = collections.Counter(r[2].split()[0] for r in block if r[2])
    common = ' '.join(f'{op}:{n}' for op, n in ops.most_common(7))
    print(f'  {block[0][1]:x}  {len(block):5d} instrs  {100 * hits / total:5.1f} %  {common}')
