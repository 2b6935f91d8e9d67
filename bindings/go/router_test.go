package dsinfer

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The router of a v2-lite checkpoint reports the experts the NumPy reference chose.
func TestRouterMatchesReference(t *testing.T) {
	dir := checkpoint(t, "v2lite")
	m := openModel(t, filepath.Join(dir, "model.gguf"))
	s := newSession(t, m, 0)
	ids := readIDs(t, filepath.Join(dir, "tokens.json"))
	if err := s.Prefill(ids); err != nil {
		t.Fatal(err)
	}
	r, err := s.Router()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	mi, _ := m.Info()
	if info.Experts == 0 || info.Experts != mi.Experts || info.TopK != mi.ExpertsPerToken || info.Layers != mi.Layers ||
		info.LastTokens != len(ids) {
		t.Fatalf("router %+v, model %+v", info, mi)
	}

	raw, err := os.ReadFile(filepath.Join(dir, "ref_routing.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Layers []struct {
			Layer   int         `json:"layer"`
			Experts [][]int32   `json:"experts"`
			Weights [][]float64 `json:"weights"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	moe := map[int]bool{}
	for _, l := range ref.Layers {
		moe[l.Layer] = true
		for tok := range l.Experts {
			got, err := r.LastChoice(l.Layer, tok)
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(got, func(i, j int) bool { return got[i].Expert < got[j].Expert }) // the reference is ascending
			if len(got) != len(l.Experts[tok]) {
				t.Fatalf("layer %d token %d: %+v, reference %v", l.Layer, tok, got, l.Experts[tok])
			}
			for i, c := range got {
				if c.Expert != l.Experts[tok][i] || math.Abs(float64(c.Weight)-l.Weights[tok][i]) > 1e-4 {
					t.Fatalf("layer %d token %d: %+v, reference %v %v", l.Layer, tok, got, l.Experts[tok], l.Weights[tok])
				}
			}
		}
		counts, err := r.ExpertCounts(l.Layer)
		if err != nil || len(counts) != info.Experts {
			t.Fatalf("counts %v, %v", counts, err)
		}
		var total uint64
		for _, c := range counts {
			total += c
		}
		if total != uint64(info.TopK*len(ids)) {
			t.Fatalf("layer %d: %d routed tokens, want %d", l.Layer, total, info.TopK*len(ids))
		}
	}
	for l := 0; l < info.Layers; l++ {
		if !moe[l] {
			if c, err := r.LastChoice(l, 0); err != nil || len(c) != 0 {
				t.Fatalf("dense layer %d: %v, %v", l, c, err)
			}
		}
	}

	if err := r.SetTopK(info.Experts); err != nil {
		t.Fatal(err)
	}
	if err := s.Decode(ids[1]); err != nil {
		t.Fatal(err)
	}
	if c, err := r.LastChoice(ref.Layers[0].Layer, 0); err != nil || len(c) != info.Experts {
		t.Fatalf("after SetTopK(%d): %v, %v", info.Experts, c, err)
	}
	wantStatus(t, r.SetTopK(info.Experts+1), StatusInvalidArgument)
	_, err = r.LastChoice(info.Layers, 0)
	wantStatus(t, err, StatusInvalidArgument)
}

func TestRouterOnDenseModel(t *testing.T) {
	m := openModel(t, filepath.Join(checkpoint(t, "qwen2"), "model.gguf"))
	s := newSession(t, m, 0)
	if err := s.Prefill([]int32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Router()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil || info.Experts != 0 || info.Layers == 0 {
		t.Fatalf("dense router %+v, %v", info, err)
	}
	if mi, _ := m.Info(); mi.Experts != 0 {
		t.Fatalf("dense model info %+v", mi)
	}
	// A dense model records no routed tokens, so the library refuses every (layer, token)
	// as outside the last forward call; whatever it answers, it names no expert.
	if c, err := r.LastChoice(0, 0); len(c) != 0 || (err != nil && !isStatus(err, StatusInvalidArgument)) {
		t.Fatalf("dense choice %v, %v", c, err)
	}
	if c, err := r.ExpertCounts(0); err != nil || len(c) != 0 {
		t.Fatalf("dense counts %v, %v", c, err)
	}
	wantStatus(t, r.SetTopK(1), StatusUnsupported)
}
