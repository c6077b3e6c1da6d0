package db

// SQLitePath returns the file of a SQLite database, or "" for PostgreSQL. A
// package that must reach the same file through a pool of its own (the job
// queue, whose River driver needs other connection settings) opens it there.
func (db *DB) SQLitePath() string {
	if db.dialect != SQLite {
		return ""
	}
	return db.where
}
