package dsinfer

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestCache(t *testing.T) {
	m := builtin(t)
	a, c := newSession(t, m, 0), newSession(t, m, 0)
	p := DefaultGenerateParams()
	p.MaxTokens, p.Seed, p.StopAtEOS = 10, 99, false
	res, err := a.Generate(context.Background(), "seed test", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := a.Cache()
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	cc, err := c.Cache()
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if bpt, err := ca.BytesPerToken(); err != nil || bpt != info.CacheBytesPerToken || bpt <= 0 {
		t.Fatalf("bytes per token %d (%v), info %+v", bpt, err, info)
	}
	if n, err := ca.NTokens(); err != nil || n != res.PromptTokens+len(res.Tokens) {
		t.Fatalf("n_tokens %d (%v), result %+v", n, err, res)
	}

	// Save, load into another session: the next token's logits agree bit for bit.
	file := filepath.Join(t.TempDir(), "a.cache")
	if err := ca.Save(file); err != nil {
		t.Fatal(err)
	}
	if err := cc.Load(file); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{a, c} {
		if err := s.Decode('q'); err != nil {
			t.Fatal(err)
		}
	}
	la, err := a.Logits()
	if err != nil {
		t.Fatal(err)
	}
	lc, err := c.Logits()
	if err != nil || len(la) != len(lc) || len(la) != info.VocabSize {
		t.Fatalf("logits %d vs %d (%v)", len(la), len(lc), err)
	}
	for i := range la {
		if la[i] != lc[i] {
			t.Fatalf("logit %d: %v vs %v", i, la[i], lc[i])
		}
	}

	if err := cc.CopyFrom(ca, 4); err != nil {
		t.Fatal(err)
	}
	if n, _ := cc.NTokens(); n != 4 {
		t.Fatalf("after copy: %d tokens", n)
	}
	if err := ca.Truncate(2); err != nil {
		t.Fatal(err)
	}
	if n, _ := ca.NTokens(); n != 2 {
		t.Fatalf("after truncate: %d tokens", n)
	}
	if n, _ := a.NPast(); n != 2 {
		t.Fatalf("session after truncate: %d tokens", n)
	}
	wantStatus(t, ca.Truncate(5), StatusInvalidArgument)

	// Two handles on one session cannot copy into each other.
	ca2, err := a.Cache()
	if err != nil {
		t.Fatal(err)
	}
	defer ca2.Close()
	wantStatus(t, ca2.CopyFrom(ca, 1), StatusInvalidArgument)

	wantStatus(t, cc.Load(filepath.Join(t.TempDir(), "missing.cache")), StatusIO)
	other := newSession(t, openModel(t, filepath.Join(checkpoint(t, "qwen2"), "model.gguf")), 0)
	oc, err := other.Cache()
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if err := oc.Load(file); err == nil {
		t.Fatal("a cache file of another model was accepted")
	}
	if err := oc.CopyFrom(ca, 1); err == nil {
		t.Fatal("a cache of another model was copied")
	}

	// The cache handle outlives its session.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := ca.NTokens(); err != nil || n != 2 {
		t.Fatalf("after the session closed: %d, %v", n, err)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.NTokens(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed cache: %v", err)
	}
}
