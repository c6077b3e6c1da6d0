package chat

import "context"

// SendBatch stores in[i] from senders[i] in threads[i] as one batch
// statement (at most one message per thread and per sender) and returns,
// by index, the messages it stored.
func (s *Service) SendBatch(ctx context.Context, senders, threads []string, in []MessageInput) (map[int]Message, error) {
	batch := make([]*sendReq, len(in))
	for i := range in {
		batch[i] = &sendReq{m: s.newTextMessage(senders[i], threads[i], in[i])}
	}
	got, err := s.sendBatch(ctx, batch)
	if err != nil {
		return nil, err
	}
	out := map[int]Message{}
	for i, r := range batch {
		if res, ok := got[r.m.ID]; ok {
			out[i] = *res.stored
		}
	}
	return out, nil
}

// SendBatches reports the batch statements run and the messages they stored.
func (s *Service) SendBatches() (statements, stored int64) {
	if s.batch == nil {
		return 0, 0
	}
	return s.batch.statements.Load(), s.batch.stored.Load()
}
