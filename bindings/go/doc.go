// Package dsinfer runs DeepSeek-family language models on CPUs through libdsinfer's C ABI.
//
// A Model is loaded once and may be shared by goroutines; each goroutine generates through
// its own Session, which takes one call at a time (an overlapping call fails with ErrBusy).
// Caches and routers taken from a session follow the session's rule.
//
// Every handle has Close, which is how its memory is given back; closing twice is harmless
// and a closed or nil handle answers ErrClosed or ErrNilHandle. Finalizers only catch
// handles that were never closed.
//
// Failed library calls return *Error with the C status, its name and the library's message.
//
// Token and progress callbacks run on a goroutine of their own while the library waits; a
// panic (or runtime.Goexit) there stops the work and is re-raised once the library has
// returned, so it never unwinds through C++ frames.
package dsinfer
