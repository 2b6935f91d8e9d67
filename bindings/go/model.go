package dsinfer

/*
#include <stdlib.h>
#include "glue.h"
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// Model is a loaded model. It is immutable and may be shared by goroutines; each goroutine
// generates through its own Session. Close releases it (sessions made from it stay valid).
type Model struct {
	h shared[C.dsi_model]
}

// ModelInfo describes a model's shape.
type ModelInfo struct {
	Architecture       string // e.g. "deepseek2"
	VocabSize          int
	Layers             int
	Heads              int
	CtxTrain           int // 0 when the file does not say
	Experts            int // routed experts; 0 for a dense model
	ExpertsPerToken    int
	CacheBytesPerToken int64
}

// Option adjusts how a model is loaded.
type Option func(*loadOptions)

type loadOptions struct {
	threads  int
	progress func(fraction float32)
}

// WithThreads sets the compute threads (0, the default, means one per physical core).
func WithThreads(n int) Option { return func(o *loadOptions) { o.threads = n } }

// WithProgress is called with 0..1 while the model loads, on the loading goroutine's behalf.
func WithProgress(fn func(fraction float32)) Option { return func(o *loadOptions) { o.progress = fn } }

// LoadModel loads a GGUF file or a Hugging Face directory (config.json + safetensors).
func LoadModel(path string, opts ...Option) (*Model, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, goError(StatusInvalidArgument, "the model path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return loadModel(opts, func(p *C.dsi_model_params, out **C.dsi_model) C.dsi_status {
		return C.dsi_model_load(cpath, p, out)
	})
}

// LoadBuiltin loads the built-in default model: tiny, random weights, for smoke tests.
func LoadBuiltin(opts ...Option) (*Model, error) {
	return loadModel(opts, func(p *C.dsi_model_params, out **C.dsi_model) C.dsi_status {
		return C.dsi_model_load_builtin(p, out)
	})
}

func loadModel(opts []Option, load func(*C.dsi_model_params, **C.dsi_model) C.dsi_status) (*Model, error) {
	if err := checkLibrary(); err != nil {
		return nil, err
	}
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.threads < 0 || o.threads > math.MaxInt32 {
		return nil, goError(StatusInvalidArgument, fmt.Sprintf("threads %d is out of range", o.threads))
	}
	params := C.dsi_model_default_params()
	params.n_threads = C.int32_t(o.threads)
	var prog *progress
	if o.progress != nil {
		prog = &progress{fn: o.progress}
		h := cgo.NewHandle(prog)
		defer h.Delete()
		C.dsigo_set_progress(&params, C.uintptr_t(h))
	}
	var ptr *C.dsi_model
	err := call(func() C.dsi_status { return load(&params, &ptr) })
	if prog != nil && prog.out.failed() {
		// The loader cannot be stopped from the callback; drop what it made, then re-raise.
		C.dsi_model_free(ptr)
		prog.out.replay()
	}
	if err != nil {
		return nil, err
	}
	m := &Model{h: shared[C.dsi_model]{ptr: ptr}}
	runtime.SetFinalizer(m, func(m *Model) { m.Close() })
	return m, nil
}

func (m *Model) use(f func(*C.dsi_model) error) error {
	if m == nil {
		return ErrNilHandle
	}
	return m.h.use(f)
}

// Close releases the model. Safe to call more than once; later calls on it fail with ErrClosed.
func (m *Model) Close() error {
	if m == nil {
		return ErrNilHandle
	}
	m.h.close(func(p *C.dsi_model) { C.dsi_model_free(p) })
	runtime.SetFinalizer(m, nil)
	return nil
}

// Info describes the model.
func (m *Model) Info() (ModelInfo, error) {
	var ci C.dsi_model_info
	ci.struct_size = C.size_t(unsafe.Sizeof(ci))
	err := m.use(func(p *C.dsi_model) error {
		return call(func() C.dsi_status { return C.dsi_model_get_info(p, &ci) })
	})
	if err != nil {
		return ModelInfo{}, err
	}
	return ModelInfo{
		Architecture:       C.GoString(&ci.architecture[0]),
		VocabSize:          int(ci.n_vocab),
		Layers:             int(ci.n_layers),
		Heads:              int(ci.n_heads),
		CtxTrain:           int(ci.n_ctx_train),
		Experts:            int(ci.n_experts),
		ExpertsPerToken:    int(ci.n_experts_per_token),
		CacheBytesPerToken: int64(ci.cache_bytes_per_token),
	}, nil
}

// Tokenizer is the tokenizer the model's files carry (a DSI_ERR_UNSUPPORTED *Error when
// they carry none). The caller closes it; it outlives the model.
func (m *Model) Tokenizer() (*Tokenizer, error) {
	var ptr *C.dsi_tokenizer
	err := m.use(func(p *C.dsi_model) error {
		return call(func() C.dsi_status { return C.dsi_model_get_tokenizer(p, &ptr) })
	})
	if err != nil {
		return nil, err
	}
	return newTokenizer(ptr), nil
}

// ChatTemplate renders the model's own chat template for messages.
func (m *Model) ChatTemplate(messages []Message, addGenerationPrompt bool) (string, error) {
	t, err := m.Tokenizer()
	if err != nil {
		return "", err
	}
	defer t.Close()
	return t.ChatTemplate(messages, addGenerationPrompt)
}
