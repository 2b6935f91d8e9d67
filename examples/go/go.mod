module dsinfer.dev/dsinfer/examples/go

go 1.19

require dsinfer.dev/dsinfer v0.0.0

replace dsinfer.dev/dsinfer => ../../bindings/go
