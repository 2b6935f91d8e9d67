package dsinfer

// Where the header and libdsinfer.so come from. In a dsinfer checkout the header is found
// beside the sources; a copy of libdsinfer.so placed in this directory is linked and, through
// the rpath, loaded at run time. Anything else comes from CGO_CFLAGS / CGO_LDFLAGS (for an
// installed tree: pkg-config --cflags --libs dsinfer) and the system loader path.

/*
#cgo CFLAGS: -I${SRCDIR} -I${SRCDIR}/../../capi
#cgo LDFLAGS: -L${SRCDIR} -Wl,-rpath,${SRCDIR} -ldsinfer -ldl
#include <stdlib.h>
#include "glue.h"
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
)

// BindingABIVersion is the DSI_ABI_VERSION this package was compiled against.
const BindingABIVersion = uint32(C.DSI_ABI_VERSION)

// ABIVersion is the DSI_ABI_VERSION of the libdsinfer the process loaded.
func ABIVersion() uint32 { return uint32(C.dsi_abi_version()) }

// Version is the loaded library's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.dsi_version_string()) }

// LibraryPath is the file the dynamic loader picked for libdsinfer ("" if unknown).
func LibraryPath() string { return C.GoString(C.dsigo_library_path()) }

var (
	libraryOnce sync.Once
	libraryErr  error
)

// checkLibrary runs once, before the first handle is made: a library with another ABI would
// read our structs with the wrong layout, and a DSINFER_LIBRARY the loader did not honour
// (Go links at build time) would silently test the wrong build.
func checkLibrary() error {
	libraryOnce.Do(func() {
		if got := ABIVersion(); got != BindingABIVersion {
			libraryErr = goError(StatusUnsupported, fmt.Sprintf(
				"%s has ABI version %d, but this binding was built for %d; rebuild the binding against that library's dsinfer.h",
				LibraryPath(), got, BindingABIVersion))
			return
		}
		want := os.Getenv("DSINFER_LIBRARY")
		if want == "" {
			return
		}
		loaded := LibraryPath()
		a, errA := os.Stat(want)
		b, errB := os.Stat(loaded)
		if errA != nil || errB != nil || !os.SameFile(a, b) {
			libraryErr = goError(StatusUnsupported, fmt.Sprintf(
				"DSINFER_LIBRARY is %s, but the process loaded %q; link with CGO_LDFLAGS=\"-L<dir> -Wl,-rpath,<dir> -ldsinfer\" "+
					"for that library's directory, or point LD_LIBRARY_PATH at it", want, loaded))
		}
	})
	return libraryErr
}
