#!/usr/bin/env python3
"""Check that README.md and docs/*.md point only at things that exist.

usage: test-doc-links.py SOURCE_ROOT

For every Markdown file (README.md, docs/*.md) outside fenced code blocks:
  - every relative link [text](path) names a file or folder of the tree;
  - every anchor, [text](#a) or [text](path.md#a), is a heading of that file
    under GitHub's rule (lower case; punctuation but '-' and '_' dropped;
    spaces to '-'; a repeated heading gets -1, -2, ...) or an explicit
    <a name="a"> / <a id="a">;
  - every repository path written in backticks or links that starts with
    pipelines/, scripts/, tests/, docs/, data/ or ocl_kernels/ exists
    (build outputs, under build/ or another build folder, are not checked).
Prints one line per problem (FILE:LINE: what) and exits 1 if there is any;
--self-test first checks that a file with each kind of fault is caught.
"""
import os
import re
import sys
import tempfile

LINK = re.compile(r'\]\(([^)\s]+)\)')
ANCHOR_TAG = re.compile(r'<a (?:name|id)="([^"]+)"')
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')
TREE_PATH = re.compile(
    r'(?<![\w./$-])((?:pipelines|scripts|tests|docs|data|ocl_kernels)/[\w./-]*\w)')


def slug(text):
    text = text.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def prose_lines(path):
    """(line number, line) of the lines outside fenced code blocks."""
    fenced = False
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith('```'):
                fenced = not fenced
                continue
            if not fenced:
                yield n, line


def anchors_of(path):
    found, seen = set(), {}
    for _, line in prose_lines(path):
        m = HEADING.match(line)
        if m:
            a = slug(m.group(2))
            if a in seen:
                seen[a] += 1
                found.add(f'{a}-{seen[a]}')
            else:
                seen[a] = 0
                found.add(a)
        found.update(ANCHOR_TAG.findall(line))
    return found


def markdown_files(root):
    files = ['README.md']
    docs = os.path.join(root, 'docs')
    if os.path.isdir(docs):
        files += ['docs/' + f for f in sorted(os.listdir(docs)) if f.endswith('.md')]
    return files


def check(root):
    problems = []
    anchors = {}

    def anchors_for(rel):
        if rel not in anchors:
            anchors[rel] = anchors_of(os.path.join(root, rel))
        return anchors[rel]

    for rel in markdown_files(root):
        base = os.path.dirname(rel)
        for n, line in prose_lines(os.path.join(root, rel)):
            for target in LINK.findall(line):
                if re.match(r'[a-z]+:', target):
                    continue
                path, _, frag = target.partition('#')
                dest = os.path.normpath(os.path.join(base, path)) if path else rel
                if path and not os.path.exists(os.path.join(root, dest)):
                    problems.append(f'{rel}:{n}: link to a missing file: {target}')
                    continue
                if frag and dest.endswith('.md') and frag not in anchors_for(dest):
                    problems.append(f'{rel}:{n}: link to a missing anchor: {target}')
            for path in TREE_PATH.findall(LINK.sub('](', line)):  # links: above
                if not os.path.exists(os.path.join(root, path)):
                    problems.append(f'{rel}:{n}: names a missing path: {path}')
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'docs'))
        os.makedirs(os.path.join(root, 'scripts'))
        open(os.path.join(root, 'scripts', 'there.sh'), 'w').close()
        with open(os.path.join(root, 'README.md'), 'w') as f:
            f.write('# Top\n\n## Export options (`nms=True`, `batch`)\n\n## Top\n\n'
                    '[a](#export-options-nmstrue-batch) [b](#top-1) [c](docs/x.md#part)\n'
                    '`scripts/there.sh` and build/tests/bench-conv\n'
                    '```sh\n[in code](#not-checked) scripts/nope.sh\n```\n')
        with open(os.path.join(root, 'docs', 'x.md'), 'w') as f:
            f.write('# Part\n\n[ok](../README.md#top)\n')
        if check(root):
            print('self-test: a clean tree was reported:', check(root))
            return False
        with open(os.path.join(root, 'README.md'), 'a') as f:
            f.write('[d](#gone) [e](docs/y.md) [f](docs/x.md#gone) `scripts/gone.sh`\n')
        got = check(root)
        if len(got) != 4:
            print('self-test: expected 4 problems, got:', got)
            return False
    return True


def main():
    args = sys.argv[1:]
    if args and args[0] == '--self-test':
        if not self_test():
            return 1
        args = args[1:]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems = check(args[0])
    for p in problems:
        print(p)
    print(f'{len(markdown_files(args[0]))} files, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
