"""Seconds to load a large identity catalogue, and to refuse hostile ones (issue 11).

    python benchmarks/bench_catalogue_load.py                  # 1k, 10k, 100k entries
    python benchmarks/bench_catalogue_load.py --sizes 1000 10000 --distinct 1000 --latin1 10000

Each measurement runs in a fresh interpreter (SymPy's cache starts cold) and times
``load_catalogue`` alone (imports excluded) on one generated ``.toml`` file:

- *catalogue*: the entries of ``identities/`` repeated, each copy with its own id -- what a
  big real catalogue looks like (texts recur: ``eye(n)``, ``A'``; a text is parsed once
  per load and shared);
- *distinct*: every entry a new expression over its own symbol names, so every text is
  parsed (the parser's cost per text, ~0.5 ms, sets the slope);
- *non-UTF-8*: small entries, every 10th with a Latin-1 byte (reported, the others load):
  the line bookkeeping for such bytes was quadratic too;
- *where chain*: ``A1 = "A0+A0"``, ``A2 = "A1+A1"``, ... 40 definitions (3.2 GB once
  expanded): the time to the error naming the limit;
- ``/dev/zero`` as the catalogue path: the time to the error.

Prints Markdown.
"""
import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = re.compile(r"^[ \t]*\[\[[ \t]*identity[ \t]*\]\]", re.MULTILINE)
ID_LINE = re.compile(r'^(id\s*=\s*")([^"]*)(")', re.MULTILINE)

DISTINCT_TEMPLATES = [  # (expression, wrt, result) over the names A{k}, X{k}, x{k}, a{k}
    ("tr(A{k}*X{k})", "X{k}", "A{k}'"),
    ("x{k}'*a{k}", "x{k}", "a{k}"),
    ("log(det(X{k}))", "X{k}", "inv(X{k})'"),
    ("tr(X{k}'*A{k}*X{k})", "X{k}", "(A{k} + A{k}')*X{k}"),
]


def catalogue_entries(count):
    """``count`` [[identity]] blocks cycled from identities/, each with a new id."""
    blocks = []
    for path in sorted((ROOT / "identities").glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        starts = [m.start() for m in HEADER.finditer(text)] + [len(text)]
        blocks += [text[a:b] for a, b in zip(starts, starts[1:])]
    out = []
    for k in range(count):
        block = blocks[k % len(blocks)]
        copy = k // len(blocks)
        out.append(ID_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}.c{copy}{m.group(3)}", block,
                               count=1).rstrip("\n") + "\n\n")
    return out


def distinct_entries(count):
    out = []
    for k in range(count):
        expression, wrt, result = (t.format(k=k) for t in DISTINCT_TEMPLATES[k % 4])
        out.append(f'[[identity]]\nid = "distinct-{k}"\nsource = "generated"\n'
                   f'expression = "{expression}"\nwrt = "{wrt}"\nkind = "gradient"\n'
                   f'result = "{result}"\n\n')
    return out


def latin1_entries(count):
    """Small entries (as tests/test_catalogue.py writes them); every 10th has the byte 0xE9."""
    return [f'[[identity]]\nid = "e{k}"\nsource = "{"t" + chr(0xE9) if k % 10 == 0 else "t"}"\n'
            f'expression = "tr(X)"\nwrt = "X"\nkind = "gradient"\nresult = "eye(n)"\n\n'
            for k in range(count)]


def where_chain(depth=40):
    where = ", ".join(['A0 = "X"'] + [f'A{i} = "A{i - 1}+A{i - 1}"' for i in range(1, depth + 1)])
    return [f'[[identity]]\nid = "chain"\nsource = "s"\nexpression = "tr(A{depth})"\n'
            f'wrt = "X"\nkind = "gradient"\nresult = "eye(n)"\nwhere = {{ {where} }}\n']


def write(path, entries):
    text = 'section = "bench"\ntitle = "Generated"\n\n' + "".join(entries)
    path.write_bytes(text.encode("latin-1" if chr(0xE9) in text else "utf-8"))
    return path


def measure(path):
    """(seconds, identities, errors, first error) of load_catalogue(path) in a fresh process."""
    code = ("import json, sys, time\nfrom matcalc.catalogue import load_catalogue\n"
            "from matcalc.errors import CatalogueError\n"
            "start = time.perf_counter()\n"
            "try:\n    ids, errs = load_catalogue(sys.argv[1], strict=False); first = "
            "str(errs[0]) if errs else ''\n"
            "except CatalogueError as exc:\n    ids, errs, first = [], [exc], str(exc)\n"
            "print(json.dumps([time.perf_counter() - start, len(ids), len(errs), first]))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=3600)
    if done.returncode:
        raise SystemExit(f"load failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--distinct", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--latin1", type=int, nargs="*", default=[10000, 100000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("catalogue", n, catalogue_entries) for n in args.sizes]
        cases += [("distinct", n, distinct_entries) for n in args.distinct]
        cases += [("non-UTF-8", n, latin1_entries) for n in args.latin1]
        for mode, n, make in cases:
            path = write(Path(tmp) / f"{mode}-{n}.toml", make(n))
            seconds, loaded, errors, _ = measure(path)
            size = path.stat().st_size / 2**20
            rows.append((f"{mode}, {n:,} entries ({size:.1f} MB)", seconds,
                         f"{loaded:,} loaded, {errors} errors", f"{seconds / n * 1e6:.0f} µs"))
            path.unlink()
            print(f"  {rows[-1][0]}: {seconds:.2f} s", file=sys.stderr)
        for label, path in [("where chain, 40 doublings", write(Path(tmp) / "chain.toml",
                                                                 where_chain())),
                            ("/dev/zero as the path", Path("/dev/zero"))]:
            seconds, loaded, errors, first = measure(path)
            message = first.splitlines()[0][-110:]
            rows.append((label, seconds, f"refused: ...{message}", "–"))
    print("## Loading the catalogue\n")
    print(f"`load_catalogue(path)` in a fresh process, imports excluded "
          f"(Python {platform.python_version()}, {platform.machine()})\n")
    print("| case | seconds | result | per entry |")
    print("| --- | ---: | --- | ---: |")
    for label, seconds, result, per in rows:
        print(f"| {label} | {seconds:.3f} | {result} | {per} |")


if __name__ == "__main__":
    main()
