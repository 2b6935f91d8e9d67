package dsinfer

/*
#include "dsinfer.h"
*/
import "C"

import (
	"fmt"
	"runtime"
)

// Statuses of the C ABI (dsi_status).
const (
	StatusOK              = int(C.DSI_OK)
	StatusInvalidArgument = int(C.DSI_ERR_INVALID_ARGUMENT)
	StatusIO              = int(C.DSI_ERR_IO)
	StatusInvalidFormat   = int(C.DSI_ERR_INVALID_FORMAT)
	StatusUnsupported     = int(C.DSI_ERR_UNSUPPORTED)
	StatusTooLarge        = int(C.DSI_ERR_TOO_LARGE)
	StatusBufferTooSmall  = int(C.DSI_ERR_BUFFER_TOO_SMALL)
	StatusOutOfMemory     = int(C.DSI_ERR_OUT_OF_MEMORY)
	StatusInternal        = int(C.DSI_ERR_INTERNAL)
)

// Error is a failed call: the C status, its constant name and the library's message.
// Test the kind with errors.As and Status, or errors.Is for the sentinels below.
type Error struct {
	Status  int
	Name    string // "DSI_ERR_IO"
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("dsinfer: %s: %s", e.Name, e.Message) }

// Failures detected on the Go side; they carry DSI_ERR_INVALID_ARGUMENT like their C analogues.
var (
	ErrNilHandle = goError(StatusInvalidArgument, "nil handle")
	ErrClosed    = goError(StatusInvalidArgument, "the handle is closed")
	ErrBusy      = goError(StatusInvalidArgument, "the session is in another call; a session (with its cache and router) takes one call at a time")
)

// StatusName is the C constant name of a status ("DSI_ERR_IO").
func StatusName(status int) string { return C.GoString(C.dsi_status_name(C.dsi_status(status))) }

func goError(status int, msg string) *Error {
	return &Error{Status: status, Name: StatusName(status), Message: msg}
}

// call runs one C entry point and turns a failure into *Error. The library keeps the message
// per OS thread, and a goroutine may change threads between two cgo calls, so the thread is
// pinned from the call until the message has been read.
func call(f func() C.dsi_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.DSI_OK {
		return nil
	}
	return &Error{Status: int(st), Name: C.GoString(C.dsi_status_name(st)), Message: C.GoString(C.dsi_last_error())}
}

func isStatus(err error, status int) bool {
	e, ok := err.(*Error)
	return ok && e.Status == status
}
