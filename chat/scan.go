package chat

import (
	"database/sql"
	"encoding/json"
)

// messageColumns are the columns of chat_messages m that nullableMessage scans.
const messageColumns = `m.id, m.thread_id, m.seq, m.sender_id, m.shop_id, m.kind, m.body, m.card, m.client_msg_id, m.created_at`

// nullableMessage scans messageColumns from a row where the message may be
// missing (a LEFT JOIN), so every column is nullable.
type nullableMessage struct {
	id, threadID, senderID, shopID, kind, body, card, clientMsgID sql.NullString
	seq                                                           sql.NullInt64
	createdAt                                                     sql.NullTime
}

func (n *nullableMessage) targets() []any {
	return []any{&n.id, &n.threadID, &n.seq, &n.senderID, &n.shopID, &n.kind, &n.body, &n.card, &n.clientMsgID, &n.createdAt}
}

// message returns the scanned message, or nil when the row had none.
func (n *nullableMessage) message() *Message {
	if !n.id.Valid {
		return nil
	}
	m := &Message{ID: n.id.String, ThreadID: n.threadID.String, Seq: n.seq.Int64, SenderID: n.senderID.String,
		Kind: n.kind.String, ClientMsgID: n.clientMsgID.String, CreatedAt: n.createdAt.Time.UTC()}
	if n.shopID.Valid {
		m.ShopID = &n.shopID.String
	}
	if n.body.Valid {
		m.Body = &n.body.String
	}
	if n.card.Valid {
		m.Card = json.RawMessage(n.card.String)
	}
	return m
}

type scanner interface{ Scan(dest ...any) error }

// scanMessage reads one row of messageColumns that must hold a message.
func scanMessage(row scanner) (Message, error) {
	var n nullableMessage
	if err := row.Scan(n.targets()...); err != nil {
		return Message{}, err
	}
	return *n.message(), nil
}
