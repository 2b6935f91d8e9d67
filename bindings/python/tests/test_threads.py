"""Several Python threads, one model, a session each: the same ids as one thread alone.
ctypes releases the GIL during the C calls, so the sessions really run side by side."""
import threading

import dsinfer


def run_all(model, streaming):
    def one(i, out):
        with dsinfer.Session(model) as s:
            prompt, opts = "worker %d" % i, dict(max_tokens=8, seed=1000 + i, stop_at_eos=False)
            if streaming:
                g = s.generate(prompt, **opts)
                text = "".join(g)
                out[i] = (g.result.ids, text)
            else:
                r = s.complete(prompt, **opts)
                out[i] = (r.ids, r.text)
    return one


def test_four_threads_match_one(builtin):
    for streaming in (False, True):
        one = run_all(builtin, streaming)
        alone = {}
        for i in range(4):
            one(i, alone)
        together = {}
        threads = [threading.Thread(target=one, args=(i, together)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert together == alone
        assert all(len(ids) == 8 for ids, _ in alone.values())
        assert len({tuple(ids) for ids, _ in alone.values()}) == 4  # different seeds, different ids


def test_shared_tokenizer_across_threads(builtin):
    tok = builtin.tokenizer
    want = tok.encode("Hello world " * 50)
    results = []

    def work():
        for _ in range(20):
            results.append(tok.encode("Hello world " * 50) == want)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 80
