#!/usr/bin/env python3
"""check-bats.py FILE...: refuses bats lines that look like assertions but can never fail.

bats runs a test under `set -e`, and bash's errexit ignores a pipeline negated with `!`
(and every command of an && / || list but the last): `! grep -q x file` in the middle of a
test passes whatever grep says; only the test's last command counts. Likewise
`[ a = b ] || true` asserts nothing. This refuses, with file:line and why:
  - a `!`-negated pipeline in any function body (a @test, setup, a helper) that is not the
    last command of the body and not the condition of if/while/until;
  - `|| true` (or `|| :`) in a @test body, unless the line says why it may fail with a
    `# cleanup` or `# ignore: why` comment; after a test command (`[`, `[[`, `test`) it is
    refused even then.
setup/teardown and helper functions may use `|| true` freely: they clean up, not assert.

check-bats.py --fixtures FILE...: the checker's own test. For each fixture, the lines it
reports must be exactly those marked with an `# expect-lint` comment.
"""
import re
import sys

TEST_START = re.compile(r"^@test\s.*\{\s*$")
FUNC_START = re.compile(
    r"^(?:function\s+([A-Za-z_][\w:.-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w:.-]*)\s*\(\s*\))\s*\{\s*$")
FUNC_END = re.compile(r"^\}\s*(?:#.*)?$")
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w.-]*)\2")
TOKEN = re.compile(r"&&|\|\||;;|[;|&()]|[^\s;|&()]+")
MARKER = re.compile(r"#\s*(cleanup\b|ignore:)")
# a command-start position may hold one of these before the command itself
OPENERS = {"{", "then", "do", "else"}
CONDITIONS = {"if", "elif", "while", "until"}
TESTS = {"[", "[[", "test"}


def logical_lines(text):
    """Yields (first line number, last, skeleton, comment) per logical shell line: the code outside
    quotes and command substitutions (each replaced by a `Q`), lines joined where a quote,
    a substitution, a backslash or a trailing && / || / | continues them; heredoc bodies
    skipped."""
    lines = text.split("\n")
    i = 0
    stack = []  # open constructs: "sq", "dq", "ansi", "sub" (with paren depth), "brace", "bq"
    depth = []  # paren depth per "sub"
    skel, comment, start = [], [], None
    heredocs = []
    while i < len(lines):
        line = lines[i]
        if start is None:
            start = i + 1
        j = 0
        cont = False
        while j < len(line):
            c = line[j]
            top = stack[-1] if stack else "code"
            nxt = line[j + 1] if j + 1 < len(line) else ""
            emit = not stack
            if top == "sq":
                if c == "'":
                    stack.pop()
                j += 1
                continue
            if top == "ansi":
                if c == "\\":
                    j += 2
                    continue
                if c == "'":
                    stack.pop()
                j += 1
                continue
            if top in ("dq", "brace"):
                if c == "\\":
                    j += 2
                    continue
                if top == "dq" and c == '"':
                    stack.pop()
                elif top == "brace" and c == "}":
                    stack.pop()
                elif top == "brace" and c in "'\"":
                    stack.append("sq" if c == "'" else "dq")
                elif c == "$" and nxt == "(":
                    stack.append("sub")
                    depth.append(1)
                    j += 1
                elif c == "$" and nxt == "{":
                    stack.append("brace")
                    j += 1
                elif c == "`":
                    stack.append("bq")
                j += 1
                continue
            if top == "bq":
                if c == "\\":
                    j += 2
                    continue
                if c == "`":
                    stack.pop()
                j += 1
                continue
            # code: the top level, or inside $( )
            if c == "\\":
                if j + 1 >= len(line):
                    cont = True  # the logical line goes on
                    break
                if emit:
                    skel.append(line[j : j + 2])
                j += 2
                continue
            if c == "#" and (j == 0 or line[j - 1] in " \t;(|&"):
                if emit:
                    comment.append(line[j:])
                break
            if c == "<" and line.startswith("<<", j) and not line.startswith("<<<", j):
                m = HEREDOC.match(line, j)
                if m:
                    heredocs.append((m.group(3), m.group(1) == "-"))
                    if emit:
                        skel.append("<<Q")
                    j = m.end()
                    continue
            if c in "'\"" or (c == "$" and nxt in "'({") or c == "`":
                if emit:
                    skel.append("Q")
                if c == "'":
                    stack.append("sq")
                elif c == '"':
                    stack.append("dq")
                elif c == "`":
                    stack.append("bq")
                elif nxt == "'":
                    stack.append("ansi")
                    j += 1
                elif nxt == "{":
                    stack.append("brace")
                    j += 1
                else:
                    stack.append("sub")
                    depth.append(1)
                    j += 1
                j += 1
                continue
            if top == "sub":
                if c == "(":
                    depth[-1] += 1
                elif c == ")":
                    depth[-1] -= 1
                    if depth[-1] == 0:
                        depth.pop()
                        stack.pop()
                j += 1
                continue
            skel.append(c)
            j += 1
        i += 1
        # heredoc bodies start on the next line
        while heredocs:
            word, strip = heredocs.pop(0)
            while i < len(lines):
                body = lines[i].lstrip("\t") if strip else lines[i]
                i += 1
                if body == word:
                    break
        s = "".join(skel).rstrip()
        if stack or cont or s.endswith(("&&", "||", "|")) and not s.endswith(";;"):
            skel.append(" ")
            continue
        yield start, i, s, " ".join(comment)
        skel, comment, start = [], [], None


def tokens(skel):
    # redirections with & (2>&1, &>x, >&2) are words, not list operators
    skel = re.sub(r"([<>])&", r"\1_", skel)
    skel = re.sub(r"&>", r"_>", skel)
    return TOKEN.findall(skel)


def negations(toks):
    """Yields, per `!`-negated pipeline outside a condition: whether a `;` or `&` ends the
    list it is in (so another command of the line runs after it)."""
    at_start, cond, k = True, False, 0
    found = []
    while k < len(toks):
        t = toks[k]
        if at_start and t == "[[":
            while k < len(toks) and toks[k] != "]]":
                k += 1
            at_start = False
        elif at_start and t == "!":
            if not cond:
                found.append(k)
        elif at_start and t in CONDITIONS:
            cond = True
        elif at_start and t in ("then", "do"):
            cond = False
        elif at_start and t in OPENERS:
            pass
        elif t in ("&&", "||", "|", "(", ")"):
            at_start = True
        elif t in (";", "&", ";;"):
            at_start = True
        else:
            at_start = False
        k += 1
    for k in found:
        yield any(t in (";", "&") for t in toks[k:])


def or_true(toks):
    """Yields, per `|| true` / `|| :`: whether the list it ends holds a test command."""
    list_start = 0
    for k, t in enumerate(toks):
        if t in (";", "&", "(", ")", "{", "}"):
            list_start = k + 1
        if t == "||" and k + 1 < len(toks) and toks[k + 1] in ("true", ":"):
            after = toks[k + 2] if k + 2 < len(toks) else ";"
            if after in (";", "&", "&&", "||", ")", "}"):
                cmds = toks[list_start : list_start + 1] + [
                    toks[n + 1] for n in range(list_start, k) if toks[n] in ("&&", "||", "|", "!")
                ]
                yield any(c in TESTS for c in cmds)


def and_tests(toks):
    """Yields, per `[ a ] && [ b ]` list of test commands only: whether another command of
    the line runs after it. set -e ignores a failure of any command of an && list but the
    last, so a failing `[ a ]` there is never seen."""
    k, cmds, chain = 0, [], []
    at_start = True
    while k <= len(toks):
        t = toks[k] if k < len(toks) else ";"
        if at_start and t == "[[":
            chain.append(t)
            while k < len(toks) and toks[k] != "]]":
                k += 1
            at_start = False
        elif t == "&&":
            at_start = True
        elif t in (";", "&", "||", "|", "(", ")", "{", "}", ";;", "then", "do", "else"):
            if len(chain) >= 2 and all(c in TESTS for c in chain) and t not in ("||", "|"):
                cmds.append(k)
            chain, at_start = [], True
        elif at_start:
            chain.append(t)
            at_start = False
        k += 1
    for k in cmds:
        yield any(t in (";", "&") for t in toks[k + 1 :])


def check(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    problems = []
    body, kind = None, None  # body: [(line, tokens, comment)] of the open function
    for line, end, skel, comment in logical_lines(text):
        if body is None:
            if TEST_START.match(skel):
                body, kind = [], "test"
            elif FUNC_START.match(skel):
                m = FUNC_START.match(skel)
                body, kind = [], m.group(1) or m.group(2)
            continue
        if FUNC_END.match(skel):
            for n, (ln, toks, cmt) in enumerate(body):
                last = n == len(body) - 1
                for more in negations(toks):
                    if not last or more:
                        problems.append(
                            (ln, "`! cmd` that is not the last command of its function: set -e "
                                 "ignores it and it can never fail; write `run ! cmd` or "
                                 "`run cmd` and check $status"))
                if kind != "test":
                    continue
                for more in and_tests(toks):
                    if (not last or more) and not MARKER.search(cmt):
                        problems.append(
                            (ln, "`[ a ] && [ b ]` before the last line: set -e ignores a "
                                 "failing `[ a ]` there; write each check on a line of its own"))
                for is_test in or_true(toks):
                    if is_test:
                        problems.append(
                            (ln, "`|| true` after a test command asserts nothing: assert what "
                                 "must hold, or drop the check"))
                    elif not MARKER.search(cmt):
                        problems.append(
                            (ln, "`|| true` in a test hides a failure: assert it, or say why it "
                                 "may fail with `# cleanup` or `# ignore: why`"))
            body = None
            continue
        toks = tokens(skel)
        if toks:
            body.append(((line, end), toks, comment))
    return problems


def main(argv):
    fixtures = argv[:1] == ["--fixtures"]
    files = argv[1:] if fixtures else argv
    if not files:
        print("usage: check-bats.py [--fixtures] FILE...", file=sys.stderr)
        return 2
    failed = False
    for path in files:
        problems = check(path)
        if fixtures:
            # a mark on any line of a command that spans several marks the command
            lines = open(path, encoding="utf-8").read().split("\n")
            want = {n + 1 for n, l in enumerate(lines) if "# expect-lint" in l}
            spans = {span for span, _ in problems}
            for ln in sorted(want):
                if not any(a <= ln <= b for a, b in spans):
                    print("%s:%d: the checker missed this line" % (path, ln))
                    failed = True
            for a, b in sorted(spans):
                if not any(a <= ln <= b for ln in want):
                    print("%s:%d: the checker refused a good line" % (path, a))
                    failed = True
        else:
            for (ln, _), why in problems:
                print("%s:%d: %s" % (path, ln, why))
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
