package server

// Commands of Lua scripting and functions: EVAL EVALSHA SCRIPT FUNCTION FCALL.

func scriptHandlers() []handler { return nil }
