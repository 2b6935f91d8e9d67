// Streams a completion through the Go binding: go run . [MODEL_PATH]
// Without MODEL_PATH it uses the built-in model (random weights: the text is noise).
package main

import (
	"context"
	"fmt"
	"os"

	"dsinfer.dev/dsinfer"
)

func main() {
	model, err := dsinfer.LoadBuiltin()
	if len(os.Args) > 1 {
		model, err = dsinfer.LoadModel(os.Args[1])
	}
	check(err)
	defer model.Close()
	session, err := dsinfer.NewSession(model, 512)
	check(err)
	defer session.Close()

	params := dsinfer.DefaultGenerateParams()
	params.MaxTokens, params.Seed = 32, 42
	res, err := session.Generate(context.Background(), "Once upon a time", params, func(ev dsinfer.TokenEvent) bool {
		fmt.Print(ev.Text)
		return true // false stops; so does cancelling the context
	})
	check(err)
	fmt.Printf("\n[%d tokens, stopped: %v]\n", len(res.Tokens), res.Stop)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
