package dsinfer

/*
#include <stdlib.h>
#include "dsinfer.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// Cache is a session's MLA cache: the latent and rope-key rows of every token fed. It
// shares the session's one-call-at-a-time rule and keeps the session's state alive.
type Cache struct {
	h exclusive[C.dsi_cache]
}

func (c *Cache) use(f func(*C.dsi_cache) error) error {
	if c == nil {
		return ErrNilHandle
	}
	return c.h.use(f)
}

// Close releases the cache handle. Safe to call more than once.
func (c *Cache) Close() error {
	if c == nil {
		return ErrNilHandle
	}
	if err := c.h.close(func(p *C.dsi_cache) { C.dsi_cache_free(p) }); err != nil {
		return err
	}
	runtime.SetFinalizer(c, nil)
	return nil
}

// BytesPerToken is the cache memory one token takes.
func (c *Cache) BytesPerToken() (int64, error) {
	var n C.int64_t
	err := c.use(func(p *C.dsi_cache) error {
		return call(func() C.dsi_status { return C.dsi_cache_bytes_per_token(p, &n) })
	})
	return int64(n), err
}

// NTokens is the number of positions the cache holds.
func (c *Cache) NTokens() (int, error) {
	var n C.int32_t
	err := c.use(func(p *C.dsi_cache) error {
		return call(func() C.dsi_status { return C.dsi_cache_n_tokens(p, &n) })
	})
	return int(n), err
}

// Truncate drops every position >= n. Feed a token before asking for logits again.
func (c *Cache) Truncate(n int) error {
	n32, err := toInt32(n, "n")
	if err != nil {
		return err
	}
	return c.use(func(p *C.dsi_cache) error {
		return call(func() C.dsi_status { return C.dsi_cache_truncate(p, n32) })
	})
}

// CopyFrom replaces c's contents with the first n positions of src (a session on the same
// model): a shared prompt prefix computed once.
func (c *Cache) CopyFrom(src *Cache, n int) error {
	n32, err := toInt32(n, "n")
	if err != nil {
		return err
	}
	if src == nil {
		return ErrNilHandle
	}
	if c != nil && src.h.gate == c.h.gate {
		// Two handles on one session: the library refuses that with its own message.
		return c.use(func(dst *C.dsi_cache) error {
			if src.h.ptr == nil {
				return ErrClosed
			}
			return call(func() C.dsi_status { return C.dsi_cache_copy(src.h.ptr, dst, n32) })
		})
	}
	return src.use(func(s *C.dsi_cache) error {
		return c.use(func(dst *C.dsi_cache) error {
			return call(func() C.dsi_status { return C.dsi_cache_copy(s, dst, n32) })
		})
	})
}

// Save writes the cache to a file that Load on a session of the same model can read.
func (c *Cache) Save(path string) error {
	return withPath(path, func(cpath *C.char) error {
		return c.use(func(p *C.dsi_cache) error {
			return call(func() C.dsi_status { return C.dsi_cache_save(p, cpath) })
		})
	})
}

// Load replaces the cache's contents with a file written by Save; a file for another model
// is refused.
func (c *Cache) Load(path string) error {
	return withPath(path, func(cpath *C.char) error {
		return c.use(func(p *C.dsi_cache) error {
			return call(func() C.dsi_status { return C.dsi_cache_load(p, cpath) })
		})
	})
}

func withPath(path string, f func(*C.char) error) error {
	if strings.IndexByte(path, 0) >= 0 {
		return goError(StatusInvalidArgument, "the path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return f(cpath)
}
