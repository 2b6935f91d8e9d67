package dsinfer

/*
#include <stdlib.h>
#include "dsinfer.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// GenerateParams controls sampling and stopping. Start from DefaultGenerateParams: the zero
// value is not usable (TopP 0 is refused).
type GenerateParams struct {
	MaxTokens         int
	Temperature       float32 // 0 = greedy
	TopK              int     // 0 = off
	TopP              float32 // 1 = off
	MinP              float32 // 0 = off
	RepetitionPenalty float32 // 1 = off
	FrequencyPenalty  float32
	PresencePenalty   float32
	PenaltyLastN      int
	Seed              uint64   // same seed + same inputs = same tokens
	Stop              []string // generation ends before the first occurrence of any of these
	StopAtEOS         bool
	TopLogprobs       int  // alternatives reported per token
	AddSpecial        bool // a text prompt into an empty session gets BOS
}

// DefaultGenerateParams returns the library's defaults (dsi_generate_default_params).
func DefaultGenerateParams() GenerateParams {
	d := C.dsi_generate_default_params()
	return GenerateParams{
		MaxTokens:         int(d.max_tokens),
		Temperature:       float32(d.temperature),
		TopK:              int(d.top_k),
		TopP:              float32(d.top_p),
		MinP:              float32(d.min_p),
		RepetitionPenalty: float32(d.repetition_penalty),
		FrequencyPenalty:  float32(d.frequency_penalty),
		PresencePenalty:   float32(d.presence_penalty),
		PenaltyLastN:      int(d.penalty_last_n),
		Seed:              uint64(d.seed),
		StopAtEOS:         d.stop_at_eos != 0,
		TopLogprobs:       int(d.top_logprobs),
		AddSpecial:        d.add_special != 0,
	}
}

// toC converts params. The stop strings and the array pointing at them are C memory, so the
// struct handed to C holds no Go pointers; free releases them.
func (p GenerateParams) toC() (*C.dsi_generate_params, func(), error) {
	gp := C.dsi_generate_default_params()
	var err error
	i32 := func(v int, what string) C.int32_t {
		n, e := toInt32(v, what)
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	gp.max_tokens = i32(p.MaxTokens, "MaxTokens")
	gp.temperature = C.float(p.Temperature)
	gp.top_k = i32(p.TopK, "TopK")
	gp.top_p = C.float(p.TopP)
	gp.min_p = C.float(p.MinP)
	gp.repetition_penalty = C.float(p.RepetitionPenalty)
	gp.frequency_penalty = C.float(p.FrequencyPenalty)
	gp.presence_penalty = C.float(p.PresencePenalty)
	gp.penalty_last_n = i32(p.PenaltyLastN, "PenaltyLastN")
	gp.seed = C.uint64_t(p.Seed)
	gp.stop_at_eos = cbool(p.StopAtEOS)
	gp.top_logprobs = i32(p.TopLogprobs, "TopLogprobs")
	gp.add_special = cbool(p.AddSpecial)
	for _, s := range p.Stop {
		if strings.IndexByte(s, 0) >= 0 {
			err = goError(StatusInvalidArgument, "a stop string contains a NUL byte")
		}
	}
	if err != nil {
		return nil, nil, err
	}
	free := func() {}
	if n := len(p.Stop); n > 0 {
		arr := (**C.char)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		if arr == nil {
			return nil, nil, goError(StatusOutOfMemory, "cannot allocate the stop strings")
		}
		strs := unsafe.Slice(arr, n)
		for i, s := range p.Stop {
			strs[i] = C.CString(s)
		}
		gp.stop = arr
		gp.n_stop = C.size_t(n)
		free = func() {
			for _, s := range strs {
				C.free(unsafe.Pointer(s))
			}
			C.free(unsafe.Pointer(arr))
		}
	}
	return &gp, free, nil
}
