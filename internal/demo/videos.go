package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
)

// Clip sizes. The small ones have a one-rung ladder and transcode in
// seconds, so the first feed plays soon after the first start; the others
// are 540×960, which the default ladder turns into 480p and 360p, enough
// for adaptive streaming to have a choice.
const (
	smallW, smallH, smallSeconds = 360, 640, 6.0
	fullW, fullH, fullSeconds    = 540, 960, 8.0
	quickW, quickH, quickSeconds = 144, 256, 1.0
)

// videos publishes every small (or every other) demo video that its
// creator does not have yet (found by caption), in order. A demo video that
// failed is deleted and published again.
func (s *Seeder) videos(ctx context.Context, small bool) error {
	mine := map[string]map[string]media.Video{} // creator handle → caption → video
	for i, v := range videos {
		if v.Small != small {
			continue
		}
		creatorID := s.users[v.Creator]
		if mine[v.Creator] == nil {
			list, err := s.creatorVideos(ctx, creatorID)
			if err != nil {
				return err
			}
			mine[v.Creator] = list
		}
		if have, ok := mine[v.Creator][v.Caption]; ok && have.Status != media.StatusFailed {
			s.videoIDs[i] = have.ID
			s.step(false, "video %d/%d by @%s", i+1, len(videos), v.Creator)
			continue
		} else if ok {
			if err := s.d.Media.Delete(ctx, have.ID, creatorID); err != nil {
				return fmt.Errorf("demo: delete failed video %s: %w", have.ID, err)
			}
		}
		published, err := s.publish(ctx, i, v)
		if err != nil {
			return err
		}
		s.videoIDs[i] = published.ID
		s.step(true, "video %d/%d by @%s published (%s)", i+1, len(videos), v.Creator, published.Status)
	}
	return nil
}

// creatorVideos returns every video of the creator, of any status, by caption.
func (s *Seeder) creatorVideos(ctx context.Context, creatorID string) (map[string]media.Video, error) {
	out := map[string]media.Video{}
	cursor := ""
	for {
		page, err := s.d.Media.UserVideos(ctx, creatorID, creatorID, cursor, media.MaxPageSize)
		if err != nil {
			return nil, fmt.Errorf("demo: videos of %s: %w", creatorID, err)
		}
		for _, v := range page.Items {
			out[v.Caption] = v
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// publish synthesises the clip of video i and publishes it with its pins.
func (s *Seeder) publish(ctx context.Context, i int, v video) (media.Video, error) {
	dir, err := os.MkdirTemp(s.opt.TempDir, "reelmart-demo-")
	if err != nil {
		return media.Video{}, fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)
	clip := transcode.Clip{Output: filepath.Join(dir, fmt.Sprintf("demo-%02d.mp4", i+1)), Width: fullW, Height: fullH,
		Seconds: fullSeconds, FPS: 24, Look: v.Look, Palette: v.Palette, Notes: v.Notes, Seed: i}
	switch {
	case s.opt.Quick:
		clip.Width, clip.Height, clip.Seconds = quickW, quickH, quickSeconds
	case v.Small:
		clip.Width, clip.Height, clip.Seconds = smallW, smallH, smallSeconds
	}
	if err := s.d.Clips.Synthesize(ctx, clip); err != nil {
		return media.Video{}, fmt.Errorf("demo: synthesise video %d: %w", i+1, err)
	}
	in := media.NewVideo{Caption: v.Caption, Hashtags: v.Hashtags}
	for _, p := range v.Pins {
		prod, ok := s.products[p.Shop+"/"+p.Title]
		if !ok {
			return media.Video{}, fmt.Errorf("demo: video %d pins %s/%s, which is not in the demo", i+1, p.Shop, p.Title)
		}
		link := media.ProductLink{ProductID: prod.ID, StartMS: p.StartMS, EndMS: p.EndMS}
		if s.opt.Quick { // a one-second clip has no room for moments
			link.StartMS, link.EndMS = 0, 0
		}
		in.Products = append(in.Products, link)
	}
	published, err := s.d.Media.PublishFile(ctx, s.users[v.Creator], clip.Output, in)
	if err != nil {
		return media.Video{}, fmt.Errorf("demo: publish video %d: %w", i+1, err)
	}
	return published, nil
}

// VideoState is where one demo video is in its processing.
type VideoState struct {
	ID       string
	Caption  string
	Status   string // "" when it is not published yet
	Progress float64
}

// Videos returns the state of every demo video, in publishing order.
func (s *Seeder) Videos(ctx context.Context) ([]VideoState, error) {
	out := make([]VideoState, len(videos))
	byCreator := map[string]map[string]media.Video{}
	for i, v := range videos {
		out[i].Caption = v.Caption
		if byCreator[v.Creator] == nil {
			u, err := s.d.Accounts.UserByHandle(ctx, v.Creator)
			if err != nil {
				continue // not seeded yet
			}
			if byCreator[v.Creator], err = s.creatorVideos(ctx, u.ID); err != nil {
				return nil, err
			}
		}
		if have, ok := byCreator[v.Creator][v.Caption]; ok {
			out[i].ID, out[i].Status, out[i].Progress = have.ID, have.Status, have.Progress
		}
	}
	return out, nil
}

// waitReady waits until no demo video is processing any more, or until
// the ready timeout, and returns the ids of those that are ready.
func (s *Seeder) waitReady(ctx context.Context) (map[string]bool, error) {
	deadline := time.Now().Add(s.opt.ReadyTimeout)
	for {
		states, err := s.Videos(ctx)
		if err != nil {
			return nil, err
		}
		ready, processing := map[string]bool{}, 0
		for _, st := range states {
			switch st.Status {
			case media.StatusReady:
				ready[st.ID] = true
			case media.StatusProcessing:
				processing++
			}
		}
		if processing == 0 || time.Now().After(deadline) {
			return ready, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
