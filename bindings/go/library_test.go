package dsinfer

import (
	"os"
	"strings"
	"testing"
)

func TestLibraryVersionAndPath(t *testing.T) {
	if ABIVersion() != BindingABIVersion {
		t.Fatalf("ABI %d, binding %d", ABIVersion(), BindingABIVersion)
	}
	if !strings.Contains(Version(), ".") {
		t.Fatalf("version %q", Version())
	}
	if StatusName(StatusIO) != "DSI_ERR_IO" {
		t.Fatalf("status name %q", StatusName(StatusIO))
	}
	path := LibraryPath()
	if !strings.Contains(path, "libdsinfer") {
		t.Fatalf("library path %q", path)
	}
	if want := os.Getenv("DSINFER_LIBRARY"); want != "" {
		a, _ := os.Stat(want)
		b, _ := os.Stat(path)
		if a == nil || b == nil || !os.SameFile(a, b) {
			t.Fatalf("DSINFER_LIBRARY=%s but loaded %s", want, path)
		}
	}
	if err := checkLibrary(); err != nil {
		t.Fatal(err)
	}
}
