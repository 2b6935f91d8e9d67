package dsinfer

import (
	"math"
	"path/filepath"
	"testing"
)

// Prefilling a checkpoint's tokens gives the last row of the NumPy reference's logits,
// from the GGUF file and from the Hugging Face directory alike.
func TestLogitsMatchReference(t *testing.T) {
	for _, name := range []string{"qwen2", "v2lite", "v3", "v2", "llama"} {
		for _, file := range []string{"model.gguf", "hf"} {
			name, file := name, file
			t.Run(name+"/"+file, func(t *testing.T) { testLogits(t, name, file) })
		}
	}
}

func testLogits(t *testing.T, name, file string) {
	dir := checkpoint(t, name)
	ref, shape, err := readNpy(filepath.Join(dir, "ref_logits.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ids := readIDs(t, filepath.Join(dir, "tokens.json"))
	if len(shape) != 2 || shape[0] != len(ids) {
		t.Fatalf("reference shape %v for %d tokens", shape, len(ids))
	}
	s := newSession(t, openModel(t, filepath.Join(dir, file)), 0)
	if err := s.Prefill(ids); err != nil {
		t.Fatal(err)
	}
	got, err := s.Logits()
	if err != nil {
		t.Fatal(err)
	}
	last := ref[(shape[0]-1)*shape[1]:]
	if len(got) != len(last) {
		t.Fatalf("%d logits, reference %d", len(got), len(last))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(last[i])))
	}
	if worst > 1e-3 {
		t.Fatalf("max |logit - reference| = %g", worst)
	}
}
