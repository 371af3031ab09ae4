#!/usr/bin/env python3
"""run.py - runs the integration suites (unittest) and ends with the line
"N passed, N failed". `run.py test_clusters` runs one module; any further
arguments are unittest names (module.Class.test)."""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main(argv):
    loader = unittest.TestLoader()
    if argv:
        suite = loader.loadTestsFromNames(argv)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    # One line per failure at the end, so that the tail of a long log (all
    # CI shows) still names what failed and why.
    for test, trace in result.failures + result.errors:
        lines = [l for l in trace.strip().splitlines() if l.strip()]
        # the exception's own line (an assertEqual diff follows it)
        why = [l for l in lines if re.match(r"\w[\w.]*(Error|Exception)\b", l)]
        line = (why or lines or ["?"])[-1]
        print("not ok %s: %s" % (test.id(), line[:300]))
    for test in result.unexpectedSuccesses:
        print("not ok %s: unexpected success" % test.id())
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
