package dsinfer

/*
#include <stdlib.h>
#include "glue.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// TokenLogprob is one alternative reported for a generated token.
type TokenLogprob struct {
	ID      int32
	Logprob float32
}

// TokenEvent is one step of streaming output. ID is -1 for a final flush of text that was
// held back (a possible stop string or an unfinished UTF-8 sequence).
type TokenEvent struct {
	ID      int32
	Text    string // text that became final with this token; may be empty
	Logprob float32
	Top     []TokenLogprob // best first; GenerateParams.TopLogprobs of them
}

// StopReason says why generation ended.
type StopReason int

const (
	StopEOS         = StopReason(C.DSI_STOP_EOS)
	StopString      = StopReason(C.DSI_STOP_STRING)
	StopMaxTokens   = StopReason(C.DSI_STOP_MAX_TOKENS)
	StopContextFull = StopReason(C.DSI_STOP_CONTEXT_FULL)
	StopCancelled   = StopReason(C.DSI_STOP_CANCELLED)
)

func (r StopReason) String() string {
	switch r {
	case StopEOS:
		return "eos"
	case StopString:
		return "stop string"
	case StopMaxTokens:
		return "max tokens"
	case StopContextFull:
		return "context full"
	case StopCancelled:
		return "cancelled"
	}
	return "unknown"
}

// Result sums up a generation. Text and Tokens hold exactly what reached the caller's
// callback, so after a cancellation they end at the last event delivered.
type Result struct {
	Text           string
	Tokens         []int32
	PromptTokens   int
	Stop           StopReason
	PrefillSeconds float64
	DecodeSeconds  float64
}

// Generate samples a completion of prompt, calling onToken (may be nil) for each event; it
// cancels when onToken returns false or ctx is done (checked at every token, then the
// result is returned with ctx.Err()). Cancelled or not, the session holds the prompt and
// the tokens fed so far and can go on. A panic in onToken cancels the generation and is
// re-raised here once the library has returned.
func (s *Session) Generate(ctx context.Context, prompt string, params GenerateParams, onToken func(TokenEvent) bool) (Result, error) {
	cprompt := C.CString(prompt)
	defer C.free(unsafe.Pointer(cprompt))
	return s.generate(ctx, params, onToken, func(p *C.dsi_session, gp *C.dsi_generate_params, h C.uintptr_t, r *C.dsi_generate_result) C.dsi_status {
		return C.dsigo_generate(p, cprompt, C.size_t(len(prompt)), gp, h, r)
	})
}

// GenerateTokens is Generate for a prompt given as token ids (empty: continue from the
// tokens already fed).
func (s *Session) GenerateTokens(ctx context.Context, prompt []int32, params GenerateParams, onToken func(TokenEvent) bool) (Result, error) {
	return s.generate(ctx, params, onToken, func(p *C.dsi_session, gp *C.dsi_generate_params, h C.uintptr_t, r *C.dsi_generate_result) C.dsi_status {
		return C.dsigo_generate_tokens(p, int32Ptr(prompt), C.size_t(len(prompt)), gp, h, r)
	})
}

// Stream runs Generate on its own goroutine and sends each event on the returned channel,
// which is closed at the end. wait then returns the result; it discards events nobody has
// read, so read the channel to its end first or cancel ctx to stop early. Other calls on the
// session meanwhile get ErrBusy (and so does the stream, if one of them got there first).
func (s *Session) Stream(ctx context.Context, prompt string, params GenerateParams) (events <-chan TokenEvent, wait func() (Result, error)) {
	if ctx == nil {
		ctx = context.Background()
	}
	ch := make(chan TokenEvent, 16)
	done := make(chan struct{})
	var res Result
	var err error
	go func() {
		defer close(done)
		defer close(ch)
		res, err = s.Generate(ctx, prompt, params, func(ev TokenEvent) bool {
			select {
			case ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	return ch, func() (Result, error) {
		for range ch {
		}
		<-done
		return res, err
	}
}

type generateCall func(p *C.dsi_session, gp *C.dsi_generate_params, h C.uintptr_t, r *C.dsi_generate_result) C.dsi_status

func (s *Session) generate(ctx context.Context, params GenerateParams, onToken func(TokenEvent) bool, run generateCall) (Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return Result{Stop: StopCancelled}, err
	}
	gp, free, err := params.toC()
	if err != nil {
		return Result{}, err
	}
	defer free()
	g := &generation{ctx: ctx, onToken: onToken}
	h := cgo.NewHandle(g)
	defer h.Delete()
	var cr C.dsi_generate_result
	cr.struct_size = C.size_t(unsafe.Sizeof(cr))
	err = s.use(func(p *C.dsi_session) error {
		return call(func() C.dsi_status { return run(p, gp, C.uintptr_t(h), &cr) })
	})
	g.out.replay()
	res := Result{
		Text:           g.text.String(),
		Tokens:         g.tokens,
		PromptTokens:   int(cr.n_prompt_tokens),
		Stop:           StopReason(cr.stop),
		PrefillSeconds: float64(cr.prefill_seconds),
		DecodeSeconds:  float64(cr.decode_seconds),
	}
	if err != nil {
		return res, err // with the events delivered before the failure
	}
	if res.Stop == StopCancelled && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// generation is what the token callback needs; C sees it only as a cgo.Handle.
type generation struct {
	ctx     context.Context
	onToken func(TokenEvent) bool
	text    strings.Builder
	tokens  []int32
	stopped bool // after a cancel nothing more is delivered, not even the final flush
	out     outcome
}

// deliver hands one event to the caller and says whether to go on.
func (g *generation) deliver(ev TokenEvent) bool {
	if g.stopped || g.ctx.Err() != nil {
		g.stopped = true
		return false
	}
	keep := true
	if g.onToken != nil {
		g.out = userCall(func() { keep = g.onToken(ev) })
		if g.out.failed() {
			g.stopped = true
			return false
		}
	}
	if ev.ID >= 0 {
		g.tokens = append(g.tokens, ev.ID)
	}
	g.text.WriteString(ev.Text)
	if !keep || g.ctx.Err() != nil {
		g.stopped = true
		return false
	}
	return true
}
