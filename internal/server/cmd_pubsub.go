package server

// Commands of publish/subscribe: SUBSCRIBE PUBLISH PSUBSCRIBE PUBSUB SSUBSCRIBE….

func pubsubHandlers() []handler { return nil }
