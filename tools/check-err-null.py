#!/usr/bin/env python3
"""check-err-null.py - refuses a literal NULL passed as the `struct berr **err` of a
fallible function (err is never NULL: base/error.h). Finds the functions whose last
parameter is `struct berr **`, then every call to one of them whose last argument is NULL.
Usage: check-err-null.py [DIR...] (default: src tests/unit). Exit 1 if any is found."""
import glob
import os
import re
import sys


def strip_comments(s):
    """comments become blanks (newlines kept, for line numbers); strings stay"""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c in "\"'":
            j = i + 1
            while j < n and s[j] != c:
                j += 2 if s[j] == "\\" else 1
            out.append(s[i:j + 1])
            i = j + 1
        elif s.startswith("/*", i):
            j = s.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", s[i:j]))
            i = j
        elif s.startswith("//", i):
            j = s.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(s, i):
    """the top-level arguments of the call whose '(' is at s[i]"""
    depth, args, cur, j = 0, [], "", i
    while j < len(s):
        c = s[j]
        if c in "\"'":
            k = j + 1
            while k < len(s) and s[k] != c:
                k += 2 if s[k] == "\\" else 1
            cur += s[j:k + 1]
            j = k
        elif c in "([{":
            depth += 1
            if depth > 1:
                cur += c
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(cur.strip())
                return args
            cur += c
        elif c == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        j += 1
    return args


def main(dirs):
    files = [f for d in dirs for f in glob.glob(d + "/**/*.[ch]", recursive=True)]
    texts = {f: strip_comments(open(f, encoding="utf-8", errors="replace").read()) for f in files}
    decl = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^;{}()]*(?:\([^()]*\)[^;{}()]*)*)\)\s*"
                      r"(?:__attribute__\s*\(\(.*?\)\)\s*)*[;{]", re.S)
    fallible = {}
    for s in texts.values():
        for m in decl.finditer(s):
            params = [p.strip() for p in m.group(2).split(",")]
            if re.match(r"struct\s+berr\s*\*\s*\*", params[-1]):
                fallible[m.group(1)] = len(params)
    if not fallible:
        return 0
    call = re.compile(r"\b(" + "|".join(sorted(fallible, key=len, reverse=True)) + r")\s*\(")
    bad = 0
    for f, s in sorted(texts.items()):
        for m in call.finditer(s):
            args = call_args(s, m.end() - 1)
            if len(args) == fallible[m.group(1)] and args[-1] == "NULL":
                line = s.count("\n", 0, m.start()) + 1
                print(f"{f}:{line}: {m.group(1)}(): err is NULL; pass &e of a local "
                      "_cleanup_berr_ struct berr *e = NULL")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["src", "tests/unit"]))
