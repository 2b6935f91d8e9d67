package dsinfer

/*
#include "dsinfer.h"
*/
import "C"

import "unsafe"

// The C ABI answers a short buffer with DSI_ERR_BUFFER_TOO_SMALL and the size it needs;
// these helpers grow the buffer once and call again.

// sized retries f with *buf grown to *n elements.
func sized[T any](buf *[]T, f func([]T) C.dsi_status, n *C.size_t) error {
	err := call(func() C.dsi_status { return f(*buf) })
	if !isStatus(err, StatusBufferTooSmall) {
		return err
	}
	*buf = make([]T, int(*n))
	return call(func() C.dsi_status { return f(*buf) })
}

// sizedText is sized for NUL-terminated text: the buffer needs the length plus one.
func sizedText(buf *[]byte, f func([]byte) C.dsi_status, n *C.size_t) error {
	err := call(func() C.dsi_status { return f(*buf) })
	if !isStatus(err, StatusBufferTooSmall) {
		return err
	}
	*buf = make([]byte, int(*n)+1)
	return call(func() C.dsi_status { return f(*buf) })
}

// firstTry picks the first buffer size from a guess; tests shrink it to exercise the retry.
var firstTry = func(guess int) int { return guess }

var noIDs [1]int32

// int32Ptr points C at a slice's elements; an empty slice gets a valid, unused address so
// the library judges the length rather than a NULL pointer.
func int32Ptr(s []int32) *C.int32_t {
	if len(s) == 0 {
		return (*C.int32_t)(unsafe.Pointer(&noIDs[0]))
	}
	return (*C.int32_t)(unsafe.Pointer(&s[0]))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
