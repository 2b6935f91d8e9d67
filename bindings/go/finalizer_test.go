package dsinfer

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Handles that are never closed are released by their finalizers, in whatever order the
// collector picks, without disturbing the handles still in use.
func TestForgottenHandlesAreCollected(t *testing.T) {
	keep := newSession(t, builtin(t), 64)
	for i := 0; i < 3; i++ {
		m, err := LoadBuiltin()
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSession(m, 64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cache(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Router(); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Tokenizer(); err != nil {
			t.Fatal(err)
		}
		if err := s.Prefill([]int32{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	if err := keep.Prefill([]int32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := keep.Logits(); err != nil {
		t.Fatal(err)
	}
}

// With DSINFER_LIBRARY naming a file the loader did not pick, the first handle is refused.
// The check runs once per process, so it runs in a child process.
func TestWrongLibraryIsRefused(t *testing.T) {
	if os.Getenv("DSINFER_GO_TEST_CHILD") == "wrong-library" {
		_, err := LoadBuiltin()
		var e *Error
		if !errors.As(err, &e) || e.Status != StatusUnsupported || !strings.Contains(e.Message, "DSINFER_LIBRARY") {
			t.Fatalf("want the DSINFER_LIBRARY mismatch, got %v", err)
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestWrongLibraryIsRefused$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DSINFER_GO_TEST_CHILD=wrong-library", "DSINFER_LIBRARY="+exe)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
