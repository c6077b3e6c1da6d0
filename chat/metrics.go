package chat

import "github.com/prometheus/client_golang/prometheus"

// metrics are what an operator watches of chat on one node.
type metrics struct {
	sockets   prometheus.Gauge
	sent      *prometheus.CounterVec
	delivered *prometheus.CounterVec
	busLag    prometheus.Histogram
	dropped   prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reelmart_chat_sockets_open", Help: "Open chat WebSockets on this node.",
		}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reelmart_chat_messages_sent_total", Help: "Chat messages stored by this node, by transport (http, ws); retries of a stored message are not counted.",
		}, []string{"transport"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reelmart_chat_events_delivered_total", Help: "Inbox events handed to this node's sockets, by type (message, read, thread).",
		}, []string{"type"}),
		busLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reelmart_chat_bus_lag_seconds", Help: "Time from a node publishing an inbox notice to this node receiving it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reelmart_chat_slow_consumers_dropped_total", Help: "Sockets closed because they fell a full queue behind.",
		}),
	}
}

// Collectors returns chat's metrics, to register with the process's registry.
func (s *Service) Collectors() []prometheus.Collector {
	m := s.metrics
	batched := func(name, help string, v func(*sendBatcher) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			if s.batch == nil {
				return 0
			}
			return float64(v(s.batch))
		})
	}
	return []prometheus.Collector{m.sockets, m.sent, m.delivered, m.busLag, m.dropped,
		batched("reelmart_chat_send_batches_total", "Statements run to store a batch of text messages (PostgreSQL).",
			func(b *sendBatcher) int64 { return b.statements.Load() }),
		batched("reelmart_chat_send_batched_total", "Text messages stored by batch statements; messages per statement is this over reelmart_chat_send_batches_total.",
			func(b *sendBatcher) int64 { return b.stored.Load() }),
	}
}
