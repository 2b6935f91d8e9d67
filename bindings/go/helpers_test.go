package dsinfer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The runner (run-tests.sh) sets these; without them only the built-in model's tests run.
func envPath(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set (run-tests.sh sets it)", name)
	}
	return v
}

func checkpoint(t *testing.T, name string) string {
	return filepath.Join(envPath(t, "DSINFER_TEST_CHECKPOINTS"), name)
}

var (
	builtinOnce  sync.Once
	builtinModel *Model
	builtinErr   error
)

// builtin is one built-in model shared by the tests, as a host would share it.
func builtin(t *testing.T) *Model {
	t.Helper()
	builtinOnce.Do(func() { builtinModel, builtinErr = LoadBuiltin() })
	if builtinErr != nil {
		t.Fatalf("LoadBuiltin: %v", builtinErr)
	}
	return builtinModel
}

func openModel(t *testing.T, path string) *Model {
	t.Helper()
	m, err := LoadModel(path)
	if err != nil {
		t.Fatalf("LoadModel(%s): %v", path, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newSession(t *testing.T, m *Model, nCtx int) *Session {
	t.Helper()
	s, err := NewSession(m, nCtx)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readIDs(t *testing.T, path string) []int32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	if err := json.Unmarshal(data, &ids); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ids
}

// wantStatus fails unless err is an *Error with the given status and a message.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *dsinfer.Error with %s, got %v", StatusName(status), err)
	}
	if e.Status != status || e.Name != StatusName(status) || e.Message == "" {
		t.Fatalf("want %s with a message, got %+v", StatusName(status), *e)
	}
}

var npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)

// readNpy reads a little-endian float32, C-order .npy file (format versions 1 to 3).
func readNpy(path string) (data []float32, shape []int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) < 10 || string(raw[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hlen, start int
	switch raw[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(raw[8:10])), 10
	case 2, 3:
		if len(raw) < 12 {
			return nil, nil, fmt.Errorf("%s: short header", path)
		}
		hlen, start = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	default:
		return nil, nil, fmt.Errorf("%s: .npy version %d", path, raw[6])
	}
	if start+hlen > len(raw) {
		return nil, nil, fmt.Errorf("%s: short header", path)
	}
	header := string(raw[start : start+hlen])
	if !strings.Contains(header, "'descr': '<f4'") || !strings.Contains(header, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("%s: want little-endian float32 in C order, header %q", path, header)
	}
	m := npyShape.FindStringSubmatch(header)
	if m == nil {
		return nil, nil, fmt.Errorf("%s: no shape in %q", path, header)
	}
	count := 1
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: shape %q", path, m[1])
		}
		shape = append(shape, d)
		count *= d
	}
	body := raw[start+hlen:]
	if len(body) != 4*count {
		return nil, nil, fmt.Errorf("%s: %d data bytes for shape %v", path, len(body), shape)
	}
	data = make([]float32, count)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return data, shape, nil
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
