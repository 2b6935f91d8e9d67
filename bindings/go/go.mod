module dsinfer.dev/dsinfer

go 1.19
