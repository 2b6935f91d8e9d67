package dsinfer

import (
	"path/filepath"
	"testing"
)

func TestTokenizeRoundTrip(t *testing.T) {
	tok, err := builtin(t).Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ids, err := tok.Encode("héllo", true, true)
	if err != nil {
		t.Fatal(err)
	}
	bos, eos, err := tok.SpecialIDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 7 || ids[0] != bos { // BOS + 6 bytes
		t.Fatalf("ids %v, bos %d", ids, bos)
	}
	if b, _ := tok.BOS(); b != bos {
		t.Fatalf("BOS %d, SpecialIDs %d", b, bos)
	}
	if e, _ := tok.EOS(); e != eos {
		t.Fatalf("EOS %d, SpecialIDs %d", e, eos)
	}
	text, err := tok.Decode(ids, true)
	if err != nil || text != "héllo" {
		t.Fatalf("Decode = %q, %v", text, err)
	}
	if n, err := tok.VocabSize(); err != nil || n <= 0 {
		t.Fatalf("VocabSize = %d, %v", n, err)
	}
	if ids, err := tok.Encode("", false, true); err != nil || len(ids) != 0 {
		t.Fatalf("Encode(\"\") = %v, %v", ids, err)
	}
	_, err = tok.Encode("\xff", false, true) // not UTF-8
	wantStatus(t, err, StatusInvalidArgument)
	_, err = tok.Decode([]int32{99999}, false)
	wantStatus(t, err, StatusInvalidArgument)
}

func TestTokenizerFiles(t *testing.T) {
	dir := checkpoint(t, "qwen2")
	for _, path := range []string{filepath.Join(dir, "model.gguf")} {
		tok, err := LoadTokenizer(path)
		if err != nil {
			t.Fatalf("LoadTokenizer(%s): %v", path, err)
		}
		const text = "Hello" // the tiny test vocabulary has no space
		ids, err := tok.Encode(text, false, true)
		if err != nil || len(ids) == 0 {
			t.Fatalf("%s: Encode = %v, %v", path, ids, err)
		}
		back, err := tok.Decode(ids, true)
		if err != nil || back != text {
			t.Fatalf("%s: Decode = %q, %v", path, back, err)
		}
		tok.Close()
	}
	_, err := LoadTokenizer(filepath.Join(dir, "hf")) // weights only, no tokenizer.json
	wantStatus(t, err, StatusIO)
}

func TestChatTemplate(t *testing.T) {
	msgs := []Message{{"system", "Be brief."}, {"user", "Hello"}}
	const want = "<｜begin▁of▁sentence｜>Be brief.\n\nUser: Hello\n\nAssistant:"
	got, err := builtin(t).ChatTemplate(msgs, true)
	if err != nil || got != want {
		t.Fatalf("ChatTemplate = %q, %v", got, err)
	}
	_, err = builtin(t).ChatTemplate([]Message{{"user", "a\x00b"}}, true)
	wantStatus(t, err, StatusInvalidArgument)

	m := openModel(t, filepath.Join(checkpoint(t, "qwen2"), "model.gguf"))
	_, err = m.ChatTemplate(msgs, true)
	wantStatus(t, err, StatusUnsupported)
}

// Every sized call answered DSI_ERR_BUFFER_TOO_SMALL first and then succeeded.
func TestShortBuffersAreRetried(t *testing.T) {
	tok, err := builtin(t).Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	s := newSession(t, builtin(t), 0)
	if err := s.Prefill([]int32{1, 'a', 'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Router()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msgs := []Message{{"user", "Hello there"}}
	type outputs struct {
		ids    []int32
		text   string
		chat   string
		choice []ExpertChoice
		counts []uint64
	}
	run := func() (o outputs) {
		var err error
		if o.ids, err = tok.Encode("hello world, a longer text", true, true); err != nil {
			t.Fatal(err)
		}
		if o.text, err = tok.Decode(o.ids, false); err != nil {
			t.Fatal(err)
		}
		if o.chat, err = tok.ChatTemplate(msgs, true); err != nil {
			t.Fatal(err)
		}
		if o.choice, err = r.LastChoice(1, 2); err != nil {
			t.Fatal(err)
		}
		if o.counts, err = r.ExpertCounts(1); err != nil {
			t.Fatal(err)
		}
		return o
	}
	normal := run()
	firstTry = func(int) int { return 1 }
	defer func() { firstTry = func(n int) int { return n } }()
	short := run()
	if !equalIDs(normal.ids, short.ids) || normal.text != short.text || normal.chat != short.chat ||
		len(normal.choice) != 2 || len(short.choice) != 2 || normal.choice[0] != short.choice[0] ||
		len(normal.counts) != 16 || len(short.counts) != 16 {
		t.Fatalf("short buffers changed the answers:\n%+v\n%+v", normal, short)
	}
}
