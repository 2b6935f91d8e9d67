package dsinfer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadFiles(t *testing.T) {
	_, err := LoadModel("/nonexistent/model.gguf")
	wantStatus(t, err, StatusIO)
	if !strings.HasPrefix(err.Error(), "dsinfer: DSI_ERR_IO: ") {
		t.Fatalf("message %q", err.Error())
	}

	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.gguf")
	junk := append([]byte("GGUF\x03\x00\x00\x00"), []byte(strings.Repeat("\xff", 64))...)
	if err := os.WriteFile(corrupt, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadModel(corrupt)
	wantStatus(t, err, StatusInvalidFormat)

	// A real checkpoint cut short.
	whole, err := os.ReadFile(filepath.Join(checkpoint(t, "qwen2"), "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.gguf")
	if err := os.WriteFile(cut, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadModel(cut)
	wantStatus(t, err, StatusInvalidFormat)

	_, err = LoadModel("a\x00b")
	wantStatus(t, err, StatusInvalidArgument)
}

func TestNilHandles(t *testing.T) {
	var m *Model
	var s *Session
	var tok *Tokenizer
	var c *Cache
	var r *Router
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNilHandle) {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err := m.Info()
	check("Model.Info", err)
	_, err = m.Tokenizer()
	check("Model.Tokenizer", err)
	_, err = NewSession(m, 0)
	check("NewSession(nil)", err)
	check("Model.Close", m.Close())
	_, err = s.Generate(context.Background(), "x", DefaultGenerateParams(), nil)
	check("Session.Generate", err)
	check("Session.Prefill", s.Prefill([]int32{1}))
	_, err = s.Logits()
	check("Session.Logits", err)
	_, err = s.Cache()
	check("Session.Cache", err)
	check("Session.Close", s.Close())
	_, err = tok.Encode("x", true, true)
	check("Tokenizer.Encode", err)
	_, err = c.NTokens()
	check("Cache.NTokens", err)
	check("Cache.CopyFrom", c.CopyFrom(nil, 0))
	_, err = r.Info()
	check("Router.Info", err)
	check("Router.Close", r.Close())
}

func TestUseAfterClose(t *testing.T) {
	m, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Cache()
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Router()
	if err != nil {
		t.Fatal(err)
	}
	// The model goes first: its session and tokenizer keep what they need.
	for i := 0; i < 2; i++ {
		if err := m.Close(); err != nil {
			t.Fatalf("Model.Close #%d: %v", i+1, err)
		}
	}
	if _, err := tok.Encode("still works", true, true); err != nil {
		t.Fatal(err)
	}
	p := DefaultGenerateParams()
	p.MaxTokens = 3
	if _, err := s.Generate(context.Background(), "still works", p, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		for name, closer := range map[string]func() error{"tokenizer": tok.Close, "session": s.Close, "cache": c.Close, "router": r.Close} {
			if err := closer(); err != nil {
				t.Fatalf("%s.Close #%d: %v", name, i+1, err)
			}
		}
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v", what, err)
		}
	}
	_, err = m.Info()
	check("Model.Info", err)
	_, err = NewSession(m, 0)
	check("NewSession", err)
	_, err = m.ChatTemplate([]Message{{"user", "x"}}, true)
	check("Model.ChatTemplate", err)
	_, err = tok.Decode([]int32{1}, false)
	check("Tokenizer.Decode", err)
	_, err = tok.VocabSize()
	check("Tokenizer.VocabSize", err)
	_, err = s.Generate(context.Background(), "x", p, nil)
	check("Session.Generate", err)
	check("Session.Decode", s.Decode(1))
	_, err = s.NPast()
	check("Session.NPast", err)
	_, err = s.Router()
	check("Session.Router", err)
	check("Cache.Save", c.Save(filepath.Join(t.TempDir(), "x")))
	check("Cache.Truncate", c.Truncate(0))
	_, err = r.ExpertCounts(1)
	check("Router.ExpertCounts", err)
	check("Router.SetTopK", r.SetTopK(1))
}

func TestBadSessionInput(t *testing.T) {
	m := builtin(t)
	s := newSession(t, m, 8)
	p := DefaultGenerateParams()
	p.MaxTokens = 2
	_, err := s.Generate(context.Background(), "a prompt much longer than eight tokens", p, nil)
	wantStatus(t, err, StatusInvalidArgument)
	if n, _ := s.NPast(); n != 0 {
		t.Fatalf("a refused prompt left %d tokens", n)
	}
	wantStatus(t, s.Prefill(make([]int32, 9)), StatusInvalidArgument)
	wantStatus(t, s.Prefill(nil), StatusInvalidArgument)
	_, err = s.Logits() // nothing fed yet
	wantStatus(t, err, StatusInvalidArgument)
	wantStatus(t, s.Decode(-7), StatusInvalidArgument)

	_, err = s.Generate(context.Background(), "x", GenerateParams{}, nil) // top_p 0
	wantStatus(t, err, StatusInvalidArgument)
	bad := DefaultGenerateParams()
	bad.MaxTokens = -1
	_, err = s.Generate(context.Background(), "x", bad, nil)
	wantStatus(t, err, StatusInvalidArgument)
	bad.MaxTokens = 1 << 40
	_, err = s.Generate(context.Background(), "x", bad, nil)
	wantStatus(t, err, StatusInvalidArgument)

	_, err = NewSession(m, -1)
	wantStatus(t, err, StatusInvalidArgument)
	_, err = NewSession(m, 1<<40)
	wantStatus(t, err, StatusInvalidArgument)

	// A session that fills up stops with "context full".
	full := newSession(t, m, 8)
	p.MaxTokens, p.StopAtEOS = 50, false
	res, err := full.Generate(context.Background(), "abc", p, nil)
	if err != nil || res.Stop != StopContextFull {
		t.Fatalf("%+v, %v", res, err)
	}
}
