package dsinfer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// The binding's Generate with the CLI's prompt, seed and default sampling gives the CLI's ids.
func TestGenerateMatchesCLI(t *testing.T) {
	cases := []struct {
		name, idsEnv string
		model        func(t *testing.T) *Model
		maxTokens    int
		seed         uint64
	}{
		{"builtin", "DSINFER_TEST_BUILTIN_IDS", builtin, 12, 42},
		{"qwen2", "DSINFER_TEST_QWEN2_IDS", func(t *testing.T) *Model {
			return openModel(t, filepath.Join(checkpoint(t, "qwen2"), "model.gguf"))
		}, 8, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := readIDs(t, envPath(t, c.idsEnv))
			s := newSession(t, c.model(t), 4096)
			p := DefaultGenerateParams()
			p.MaxTokens, p.Seed = c.maxTokens, c.seed
			res, err := s.Generate(context.Background(), "Hello", p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIDs(res.Tokens, want) {
				t.Fatalf("ids %v, CLI %v", res.Tokens, want)
			}
			if len(want) == 0 {
				t.Fatal("the CLI generated nothing; the comparison proves nothing")
			}
		})
	}
}

func TestDefaultGenerateParams(t *testing.T) {
	p := DefaultGenerateParams()
	if p.Temperature != 0.8 || p.TopK != 40 || p.TopP != 0.95 || p.MinP != 0.05 || !p.StopAtEOS || !p.AddSpecial {
		t.Fatalf("defaults %+v", p)
	}
}

func TestStreamPiecesMakeTheText(t *testing.T) {
	m := builtin(t)
	p := DefaultGenerateParams()
	p.MaxTokens, p.Seed, p.StopAtEOS, p.TopLogprobs = 16, 5, false, 3

	events, wait := newSession(t, m, 0).Stream(context.Background(), "stream me", p)
	var text strings.Builder
	var ids []int32
	for ev := range events {
		text.WriteString(ev.Text)
		if ev.ID >= 0 {
			ids = append(ids, ev.ID)
			if len(ev.Top) != 3 || ev.Top[0].Logprob < ev.Top[2].Logprob {
				t.Fatalf("top logprobs %+v", ev.Top)
			}
		}
	}
	res, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopMaxTokens || len(ids) != 16 || !equalIDs(ids, res.Tokens) || text.String() != res.Text {
		t.Fatalf("stream %v %q, result %+v", ids, text.String(), res)
	}
	tok, err := m.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	if full, err := tok.Decode(ids, true); err != nil || full != text.String() {
		t.Fatalf("pieces %q, Decode %q (%v)", text.String(), full, err)
	}

	// The same generation through Generate on a fresh session.
	var pieces strings.Builder
	again, err := newSession(t, m, 0).Generate(context.Background(), "stream me", p, func(ev TokenEvent) bool {
		pieces.WriteString(ev.Text)
		return true
	})
	if err != nil || !equalIDs(again.Tokens, ids) || pieces.String() != text.String() || again.PromptTokens == 0 {
		t.Fatalf("Generate %+v (%v), stream %v", again, err, ids)
	}
}

func TestStopString(t *testing.T) {
	m := builtin(t)
	p := DefaultGenerateParams()
	p.MaxTokens, p.Seed, p.StopAtEOS = 24, 3, false
	full, err := newSession(t, m, 0).Generate(context.Background(), "stop", p, nil)
	if err != nil || len(full.Text) < 6 {
		t.Fatalf("%+v %v", full, err)
	}
	stop := full.Text[3:5] // a piece of the text the same seed will produce again
	p.Stop = []string{stop}
	res, err := newSession(t, m, 0).Generate(context.Background(), "stop", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopString || strings.Contains(res.Text, stop) || !strings.HasPrefix(full.Text, res.Text) {
		t.Fatalf("stop %q: %+v (full %q)", stop, res, full.Text)
	}
	p.Stop = []string{"a\x00"}
	_, err = newSession(t, m, 0).Generate(context.Background(), "stop", p, nil)
	wantStatus(t, err, StatusInvalidArgument)
}

func TestCancelByContext(t *testing.T) {
	s := newSession(t, builtin(t), 0)
	p := DefaultGenerateParams()
	p.MaxTokens, p.Seed, p.StopAtEOS = 50, 11, false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := 0
	res, err := s.Generate(ctx, "cancel me", p, func(ev TokenEvent) bool {
		if seen++; seen == 2 {
			cancel()
		}
		return true
	})
	if !errors.Is(err, context.Canceled) || res.Stop != StopCancelled || len(res.Tokens) != 2 || seen != 2 {
		t.Fatalf("err %v, result %+v, callbacks %d", err, res, seen)
	}

	// The session goes on from where it stopped.
	before, err := s.NPast()
	if err != nil || before != res.PromptTokens+1 { // the second token was delivered but not fed
		t.Fatalf("n_past %d (%v), prompt %d", before, err, res.PromptTokens)
	}
	p.MaxTokens = 3
	more, err := s.Generate(context.Background(), " and on", p, nil)
	if err != nil || len(more.Tokens) != 3 || more.Stop != StopMaxTokens {
		t.Fatalf("after cancel: %+v, %v", more, err)
	}

	// Cancelled by the callback itself: no error, stop reason cancelled.
	res, err = s.Generate(context.Background(), "x", p, func(TokenEvent) bool { return false })
	if err != nil || res.Stop != StopCancelled || len(res.Tokens) != 1 {
		t.Fatalf("callback cancel: %+v, %v", res, err)
	}

	// A context that is already done never reaches the library.
	res, err = s.Generate(ctx, "x", p, nil)
	if !errors.Is(err, context.Canceled) || len(res.Tokens) != 0 {
		t.Fatalf("done context: %+v, %v", res, err)
	}

	// Stream: stop reading after two events and cancel.
	ctx2, cancel2 := context.WithCancel(context.Background())
	p.MaxTokens = 100
	events, wait := s.Stream(ctx2, "stream", p)
	<-events
	<-events
	cancel2()
	res, err = wait()
	if !errors.Is(err, context.Canceled) || res.Stop != StopCancelled || len(res.Tokens) < 2 || len(res.Tokens) > 20 {
		t.Fatalf("stream cancel: %d tokens, %v, %v", len(res.Tokens), res.Stop, err)
	}
}

func TestCallbackPanicDoesNotCrossC(t *testing.T) {
	s := newSession(t, builtin(t), 0)
	p := DefaultGenerateParams()
	p.MaxTokens, p.StopAtEOS = 10, false
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		n := 0
		s.Generate(context.Background(), "panic", p, func(TokenEvent) bool {
			if n++; n == 2 {
				panic("boom")
			}
			return true
		})
		t.Fatal("the panic was swallowed")
	}()
	// runtime.Goexit (what t.FailNow does) ends the calling goroutine, not the process.
	done := make(chan bool)
	go func() {
		finished := false
		defer func() { done <- finished }()
		s.Generate(context.Background(), "exit", p, func(TokenEvent) bool {
			goexit()
			return true
		})
		finished = true
	}()
	if <-done {
		t.Fatal("Generate returned normally after the callback called Goexit")
	}
	res, err := s.Generate(context.Background(), "still fine", p, nil)
	if err != nil || len(res.Tokens) != 10 {
		t.Fatalf("after panics: %+v, %v", res, err)
	}
}

func TestReentrantCallIsBusy(t *testing.T) {
	s := newSession(t, builtin(t), 0)
	p := DefaultGenerateParams()
	p.MaxTokens = 2
	var inner error
	_, err := s.Generate(context.Background(), "x", p, func(TokenEvent) bool {
		_, inner = s.Logits()
		return true
	})
	if err != nil || !errors.Is(inner, ErrBusy) {
		t.Fatalf("outer %v, inner %v", err, inner)
	}
}

func TestProgress(t *testing.T) {
	path := filepath.Join(checkpoint(t, "qwen2"), "model.gguf")
	var seen []float32
	m, err := LoadModel(path, WithProgress(func(f float32) { seen = append(seen, f) }), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if len(seen) == 0 || seen[len(seen)-1] != 1 {
		t.Fatalf("progress %v", seen)
	}
	func() {
		defer func() {
			if r := recover(); r != "load boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		LoadModel(path, WithProgress(func(float32) { panic("load boom") }))
	}()
	_, err = LoadModel(path, WithThreads(-1))
	wantStatus(t, err, StatusInvalidArgument)
}
