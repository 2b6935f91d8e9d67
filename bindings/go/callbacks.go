package dsinfer

// Entry points C calls back into. The preamble only declares (a file with //export may not
// define C); the trampolines that reach these are in glue.c.

/*
#include <stdint.h>
#include "dsinfer.h"
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"unsafe"
)

//export dsiGoOnToken
func dsiGoOnToken(ev *C.dsi_token_event, h C.uintptr_t) C.int {
	g := cgo.Handle(h).Value().(*generation)
	if g.deliver(tokenEvent(ev)) {
		return 1
	}
	return 0
}

//export dsiGoOnProgress
func dsiGoOnProgress(fraction C.float, h C.uintptr_t) {
	p := cgo.Handle(h).Value().(*progress)
	if p.out.failed() {
		return
	}
	p.out = userCall(func() { p.fn(float32(fraction)) })
}

// tokenEvent copies a C event: its pointers are valid only during the callback.
func tokenEvent(ev *C.dsi_token_event) TokenEvent {
	e := TokenEvent{ID: int32(ev.id), Logprob: float32(ev.logprob)}
	if ev.text_len > 0 {
		e.Text = string(unsafe.Slice((*byte)(unsafe.Pointer(ev.text)), int(ev.text_len)))
	}
	if n := int(ev.n_top); n > 0 {
		ids := unsafe.Slice((*int32)(unsafe.Pointer(ev.top_ids)), n)
		lps := unsafe.Slice((*float32)(unsafe.Pointer(ev.top_logprobs)), n)
		e.Top = make([]TokenLogprob, n)
		for i := range e.Top {
			e.Top[i] = TokenLogprob{ID: ids[i], Logprob: lps[i]}
		}
	}
	return e
}

type progress struct {
	fn  func(float32)
	out outcome
}

// outcome is how a user callback ended when it did not simply return.
type outcome struct {
	panicked bool
	value    any
	exited   bool // runtime.Goexit, e.g. t.FailNow in a test
}

func (o outcome) failed() bool { return o.panicked || o.exited }

// replay re-raises, on the caller's goroutine and after the C call has returned, what the
// callback did instead of returning.
func (o outcome) replay() {
	if o.panicked {
		panic(o.value)
	}
	if o.exited {
		runtime.Goexit()
	}
}

// userCall runs fn on a goroutine of its own and waits for it. A panic is recovered there and
// a Goexit ends only that goroutine, so neither unwinds through the C++ frames beneath the
// callback (which would skip their destructors and leave the session half-updated).
func userCall(fn func()) (o outcome) {
	done := make(chan struct{})
	go func() {
		returned := false
		defer func() {
			if !returned {
				if r := recover(); r != nil {
					o.panicked, o.value = true, r
				} else {
					o.exited = true
				}
			}
			close(done)
		}()
		fn()
		returned = true
	}()
	<-done
	return o
}
