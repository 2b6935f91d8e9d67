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

// Tokenizer turns text into token ids and back. It may be shared by goroutines.
type Tokenizer struct {
	h shared[C.dsi_tokenizer]
}

// Message is one turn of a conversation for ChatTemplate.
type Message struct {
	Role    string // "system", "user", "assistant", ...
	Content string
}

// LoadTokenizer reads a GGUF file, a Hugging Face directory or a tokenizer.json.
func LoadTokenizer(path string) (*Tokenizer, error) {
	if err := checkLibrary(); err != nil {
		return nil, err
	}
	if strings.IndexByte(path, 0) >= 0 {
		return nil, goError(StatusInvalidArgument, "the tokenizer path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ptr *C.dsi_tokenizer
	if err := call(func() C.dsi_status { return C.dsi_tokenizer_load(cpath, &ptr) }); err != nil {
		return nil, err
	}
	return newTokenizer(ptr), nil
}

func newTokenizer(ptr *C.dsi_tokenizer) *Tokenizer {
	t := &Tokenizer{h: shared[C.dsi_tokenizer]{ptr: ptr}}
	runtime.SetFinalizer(t, func(t *Tokenizer) { t.Close() })
	return t
}

func (t *Tokenizer) use(f func(*C.dsi_tokenizer) error) error {
	if t == nil {
		return ErrNilHandle
	}
	return t.h.use(f)
}

// Close releases the tokenizer. Safe to call more than once.
func (t *Tokenizer) Close() error {
	if t == nil {
		return ErrNilHandle
	}
	t.h.close(func(p *C.dsi_tokenizer) { C.dsi_tokenizer_free(p) })
	runtime.SetFinalizer(t, nil)
	return nil
}

// Encode returns the token ids of text. addSpecial adds BOS/EOS as the tokenizer says;
// parseSpecial turns special-token strings in text into their ids.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) ([]int32, error) {
	ctext := C.CString(text) // never NULL, even for ""
	defer C.free(unsafe.Pointer(ctext))
	ids := make([]int32, firstTry(len(text)+4)) // byte-level vocabularies need at most a token per byte
	var n C.size_t
	err := t.use(func(p *C.dsi_tokenizer) error {
		return sized(&ids, func(buf []int32) C.dsi_status {
			return C.dsi_tokenize(p, ctext, C.size_t(len(text)), cbool(addSpecial), cbool(parseSpecial),
				int32Ptr(buf), C.size_t(len(buf)), &n)
		}, &n)
	})
	if err != nil {
		return nil, err
	}
	return ids[:n], nil
}

// Decode returns the text of ids; skipSpecial leaves out special tokens such as BOS.
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) (string, error) {
	buf := make([]byte, firstTry(8*len(ids)+1))
	var n C.size_t
	err := t.use(func(p *C.dsi_tokenizer) error {
		return sizedText(&buf, func(b []byte) C.dsi_status {
			return C.dsi_detokenize(p, int32Ptr(ids), C.size_t(len(ids)), cbool(skipSpecial),
				(*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b)), &n)
		}, &n)
	})
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// SpecialIDs returns the BOS and EOS ids (-1 when the tokenizer has none).
func (t *Tokenizer) SpecialIDs() (bos, eos int32, err error) {
	var b, e C.int32_t
	err = t.use(func(p *C.dsi_tokenizer) error {
		return call(func() C.dsi_status { return C.dsi_tokenizer_special_ids(p, &b, &e) })
	})
	return int32(b), int32(e), err
}

// BOS is the beginning-of-sequence id (-1 when there is none).
func (t *Tokenizer) BOS() (int32, error) {
	bos, _, err := t.SpecialIDs()
	return bos, err
}

// EOS is the end-of-sequence id (-1 when there is none).
func (t *Tokenizer) EOS() (int32, error) {
	_, eos, err := t.SpecialIDs()
	return eos, err
}

// VocabSize is the number of token ids.
func (t *Tokenizer) VocabSize() (int, error) {
	var n C.int32_t
	err := t.use(func(p *C.dsi_tokenizer) error {
		return call(func() C.dsi_status { return C.dsi_tokenizer_vocab_size(p, &n) })
	})
	return int(n), err
}

// ChatTemplate renders the tokenizer's own chat template for messages; a DSI_ERR_UNSUPPORTED
// *Error when the tokenizer has none. addGenerationPrompt opens the assistant's turn.
func (t *Tokenizer) ChatTemplate(messages []Message, addGenerationPrompt bool) (string, error) {
	size := 256
	for _, m := range messages {
		if strings.IndexByte(m.Role, 0) >= 0 || strings.IndexByte(m.Content, 0) >= 0 {
			return "", goError(StatusInvalidArgument, "a chat message contains a NUL byte")
		}
		size += 2 * (len(m.Role) + len(m.Content))
	}
	// The array holds C pointers, so it must live in C memory, not Go memory.
	n := len(messages)
	msgs := (*C.dsi_chat_message)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(C.dsi_chat_message{}))))
	if msgs == nil {
		return "", goError(StatusOutOfMemory, "cannot allocate the chat messages")
	}
	defer C.free(unsafe.Pointer(msgs))
	arr := unsafe.Slice(msgs, n+1)
	for i, m := range messages {
		arr[i].role = C.CString(m.Role)
		arr[i].content = C.CString(m.Content)
	}
	defer func() {
		for i := range messages {
			C.free(unsafe.Pointer(arr[i].role))
			C.free(unsafe.Pointer(arr[i].content))
		}
	}()
	buf := make([]byte, firstTry(size))
	var out C.size_t
	err := t.use(func(p *C.dsi_tokenizer) error {
		return sizedText(&buf, func(b []byte) C.dsi_status {
			return C.dsi_chat_template_apply(p, msgs, C.size_t(n), cbool(addGenerationPrompt),
				(*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b)), &out)
		}, &out)
	})
	if err != nil {
		return "", err
	}
	return string(buf[:out]), nil
}
