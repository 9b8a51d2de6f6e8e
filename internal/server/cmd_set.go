package server

// setHandlers binds the set commands (being written).
func setHandlers() []handler { return nil }
