package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

func chatNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func directRoom(t *testing.T, st *store.Store, a, b int64, at time.Time) chat.Room {
	t.Helper()
	r, _, err := st.DirectRoom(ctx, a, b, at)
	if err != nil {
		t.Fatalf("direct room %d-%d: %v", a, b, err)
	}
	return r
}

func groupRoom(t *testing.T, st *store.Store, at time.Time, members ...chat.Membership) chat.Room {
	t.Helper()
	r, err := st.CreateGroupRoom(ctx, chat.Room{Kind: chat.Group, Name: "g", CreatedAt: at}, members)
	if err != nil {
		t.Fatalf("create group room: %v", err)
	}
	return r
}

func addMessage(t *testing.T, st *store.Store, m chat.Message) chat.Message {
	t.Helper()
	got, created, err := st.AddMessage(ctx, m)
	if err != nil || !created {
		t.Fatalf("add message %+v: created %v, %v", m, created, err)
	}
	return got
}

func room(t *testing.T, st *store.Store, id int64) chat.Room {
	t.Helper()
	r, found, err := st.Room(ctx, id)
	if err != nil || !found {
		t.Fatalf("room %d: found %v, %v", id, found, err)
	}
	return r
}

func members(t *testing.T, st *store.Store, roomID int64) []chat.Membership {
	t.Helper()
	ms, err := st.Members(ctx, roomID)
	if err != nil {
		t.Fatalf("members of %d: %v", roomID, err)
	}
	return ms
}

func messageIDs(ms []chat.Message) []int64 {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func TestDirectRoom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r, created, err := st.DirectRoom(ctx, 9, 4, now)
		if err != nil || !created {
			t.Fatalf("first call: created %v, %v", created, err)
		}
		want := chat.Room{ID: r.ID, Kind: chat.Direct, User1: 4, User2: 9, Status: chat.Open, CreatedAt: now}
		if r != want || r.ID <= 0 {
			t.Errorf("room %+v, want %+v", r, want)
		}
		if got := room(t, st, r.ID); got != want {
			t.Errorf("Room %+v, want %+v", got, want)
		}
		for _, pair := range [][2]int64{{4, 9}, {9, 4}} {
			again, created, err := st.DirectRoom(ctx, pair[0], pair[1], now.Add(time.Hour))
			if err != nil || created || again != want {
				t.Errorf("DirectRoom(%d, %d): %+v created %v, %v; want %+v", pair[0], pair[1], again, created, err, want)
			}
		}
		ms := members(t, st, r.ID)
		wantMembers := []chat.Membership{
			{RoomID: r.ID, UserID: 4, Role: chat.Member, JoinedAt: now},
			{RoomID: r.ID, UserID: 9, Role: chat.Member, JoinedAt: now},
		}
		if !slices.Equal(ms, wantMembers) {
			t.Errorf("members %+v, want %+v", ms, wantMembers)
		}
		if other := directRoom(t, st, 4, 10, now); other.ID == r.ID {
			t.Error("another pair got the same room")
		}

		// A user's room with themselves has one membership.
		self, created, err := st.DirectRoom(ctx, 7, 7, now)
		if err != nil || !created || self.User1 != 7 || self.User2 != 7 {
			t.Fatalf("self room %+v created %v, %v", self, created, err)
		}
		if ms := members(t, st, self.ID); len(ms) != 1 || ms[0].UserID != 7 {
			t.Errorf("self room members %+v", ms)
		}
	})
}

func TestDirectRoomConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		var wg sync.WaitGroup
		var mu sync.Mutex
		rooms := map[int64]bool{}
		creations := 0
		for i := range 20 {
			a, b := int64(11), int64(12)
			if i%2 == 1 {
				a, b = b, a
			}
			wg.Go(func() {
				r, created, err := st.DirectRoom(ctx, a, b, now)
				if err != nil {
					t.Error(err)
					return
				}
				if ms, err := st.Members(ctx, r.ID); err != nil || len(ms) != 2 {
					t.Errorf("a caller saw the room with members %+v (%v)", ms, err)
				}
				mu.Lock()
				defer mu.Unlock()
				rooms[r.ID] = true
				if created {
					creations++
				}
			})
		}
		wg.Wait()
		if len(rooms) != 1 || creations != 1 {
			t.Errorf("%d rooms and %d creations, want 1 and 1", len(rooms), creations)
		}
	})
}

func TestGroupRoomAndMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r, err := st.CreateGroupRoom(ctx, chat.Room{Kind: chat.Group, Name: "team", Descriptions: "d", Avatar: "https://x/a.png", CreatedAt: now},
			[]chat.Membership{
				{UserID: 3, Role: chat.Owner},
				{UserID: 1, Role: chat.Admin, JoinedAt: now.Add(time.Second)},
				{UserID: 2}, // an empty role is a member
			})
		if err != nil {
			t.Fatal(err)
		}
		want := chat.Room{ID: r.ID, Kind: chat.Group, Name: "team", Descriptions: "d", Avatar: "https://x/a.png", Status: chat.Open, CreatedAt: now}
		if r != want || r.ID <= 0 {
			t.Errorf("room %+v, want %+v", r, want)
		}
		if got := room(t, st, r.ID); got != want {
			t.Errorf("Room %+v, want %+v", got, want)
		}
		if _, found, err := st.Room(ctx, r.ID+1000); err != nil || found {
			t.Errorf("a missing room: found %v, %v", found, err)
		}
		// In the order they joined, then by user id.
		wantMembers := []chat.Membership{
			{RoomID: r.ID, UserID: 2, Role: chat.Member, JoinedAt: now},
			{RoomID: r.ID, UserID: 3, Role: chat.Owner, JoinedAt: now},
			{RoomID: r.ID, UserID: 1, Role: chat.Admin, JoinedAt: now.Add(time.Second)},
		}
		if ms := members(t, st, r.ID); !slices.Equal(ms, wantMembers) {
			t.Errorf("members %+v, want %+v", ms, wantMembers)
		}

		want.Name, want.Descriptions, want.Avatar, want.Status = "renamed", "", "https://x/b.png", chat.OnHold
		if err := st.UpdateRoom(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got := room(t, st, r.ID); got != want {
			t.Errorf("after update %+v, want %+v", got, want)
		}
		if err := st.UpdateRoom(ctx, chat.Room{ID: r.ID + 1000, Status: chat.Open}); err != nil {
			t.Errorf("update of a missing room: %v", err)
		}

		// The same user twice fails, and leaves no room behind.
		if _, err := st.CreateGroupRoom(ctx, chat.Room{Name: "dup"}, []chat.Membership{{UserID: 5}, {UserID: 5}}); err == nil {
			t.Error("a duplicate member accepted")
		}
		var n int64
		if err := st.DB().Raw("SELECT COUNT(*) FROM " + st.TablePrefix() + "chat_rooms").Scan(&n).Error; err != nil || n != 1 {
			t.Errorf("after the failed creation: %d rooms, want 1 (%v)", n, err)
		}

		// PutMember adds, then only changes the role.
		m := chat.Membership{RoomID: r.ID, UserID: 4, Role: chat.ReadOnly, Pinned: true, JoinedAt: now.Add(2 * time.Second)}
		if err := st.PutMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := st.PutMember(ctx, chat.Membership{RoomID: r.ID, UserID: 4, Role: chat.Admin, JoinedAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		m.Role = chat.Admin
		if got, found, err := st.Membership(ctx, r.ID, 4); err != nil || !found || got != m {
			t.Errorf("Membership %+v found %v, %v; want %+v", got, found, err, m)
		}
		if _, found, err := st.Membership(ctx, r.ID, 99); err != nil || found {
			t.Errorf("a missing membership: found %v, %v", found, err)
		}
		if err := st.PutMember(ctx, chat.Membership{RoomID: r.ID + 1000, UserID: 4, Role: chat.Member}); err == nil {
			t.Error("a member of a missing room accepted")
		}

		for _, c := range []struct {
			banned bool
			user   int64
			ok     bool
		}{{true, 4, true}, {true, 4, true}, {false, 4, true}, {true, 99, false}} {
			ok, err := st.SetBanned(ctx, r.ID, c.user, c.banned)
			if err != nil || ok != c.ok {
				t.Errorf("SetBanned(%d, %v): %v, %v; want %v", c.user, c.banned, ok, err, c.ok)
			}
			if got, _, _ := st.Membership(ctx, r.ID, c.user); c.ok && got.Banned != c.banned {
				t.Errorf("banned %v, want %v", got.Banned, c.banned)
			}
		}
		if err := st.SetPinned(ctx, r.ID, 4, false); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := st.Membership(ctx, r.ID, 4); got.Pinned {
			t.Error("still pinned")
		}
		if err := st.SetPinned(ctx, r.ID, 99, true); err != nil {
			t.Errorf("pin of a missing member: %v", err)
		}

		// MarkRead never moves back.
		for _, c := range []struct{ mark, want int64 }{{5, 5}, {3, 5}, {8, 8}, {8, 8}} {
			if err := st.MarkRead(ctx, r.ID, 4, c.mark); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := st.Membership(ctx, r.ID, 4); got.LastRead != c.want {
				t.Errorf("after MarkRead(%d): last read %d, want %d", c.mark, got.LastRead, c.want)
			}
		}

		for _, want := range []bool{true, false} {
			if ok, err := st.RemoveMember(ctx, r.ID, 4); err != nil || ok != want {
				t.Errorf("RemoveMember: %v, %v; want %v", ok, err, want)
			}
		}
		if _, found, _ := st.Membership(ctx, r.ID, 4); found {
			t.Error("a removed member is found")
		}
	})
}

func TestGroupRoomManyMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		var ms []chat.Membership
		for i := range 300 {
			ms = append(ms, chat.Membership{UserID: int64(i + 1), Role: chat.Member, JoinedAt: now})
		}
		ms[0].Role = chat.Owner
		r := groupRoom(t, st, now, ms...)
		got := members(t, st, r.ID)
		for i := range ms {
			ms[i].RoomID = r.ID
		}
		if !slices.Equal(got, ms) {
			t.Errorf("%d members stored, want %d", len(got), len(ms))
		}
	})
}

func TestAddMessage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		m1 := addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 1, Text: "hi", ClientID: "c1", CreatedAt: now.Add(time.Second)})
		want := chat.Message{ID: m1.ID, RoomID: r.ID, Seq: 1, SenderID: 1, Text: "hi", ClientID: "c1", CreatedAt: now.Add(time.Second)}
		if m1 != want || m1.ID <= 0 {
			t.Errorf("stored %+v, want %+v", m1, want)
		}
		if got, found, err := st.Message(ctx, m1.ID); err != nil || !found || got != want {
			t.Errorf("Message %+v found %v, %v", got, found, err)
		}
		if _, found, err := st.Message(ctx, m1.ID+1000); err != nil || found {
			t.Errorf("a missing message: found %v, %v", found, err)
		}
		if got := room(t, st, r.ID); got.LastSeq != 1 || !got.LastMessageAt.Equal(now.Add(time.Second)) {
			t.Errorf("room after the first message: %+v", got)
		}

		// A retry with the same client id gets the stored message back and
		// consumes nothing.
		again, created, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: 1, Text: "hi again", ClientID: "c1", CreatedAt: now.Add(time.Minute)})
		if err != nil || created || again != want {
			t.Errorf("retry: %+v created %v, %v; want %+v", again, created, err, want)
		}
		if got := room(t, st, r.ID); got.LastSeq != 1 || !got.LastMessageAt.Equal(now.Add(time.Second)) {
			t.Errorf("room after the retry: %+v", got)
		}

		// Another sender's equal client id, and empty client ids, are new
		// messages. A message older than the newest does not move the
		// room's LastMessageAt back.
		for i, m := range []chat.Message{
			{RoomID: r.ID, SenderID: 2, Text: "yo", ClientID: "c1", CreatedAt: now.Add(2 * time.Second)},
			{RoomID: r.ID, SenderID: 1, Text: "a", CreatedAt: now.Add(3 * time.Second)},
			{RoomID: r.ID, SenderID: 1, Text: "b", CreatedAt: now},
		} {
			got := addMessage(t, st, m)
			if got.Seq != int64(i+2) || got.ID <= m1.ID {
				t.Errorf("message %d: seq %d id %d", i, got.Seq, got.ID)
			}
			m1 = got
		}
		if got := room(t, st, r.ID); got.LastSeq != 4 || !got.LastMessageAt.Equal(now.Add(3*time.Second)) {
			t.Errorf("room after four messages: %+v", got)
		}

		// Seq is per room.
		other := directRoom(t, st, 1, 3, now)
		if got := addMessage(t, st, chat.Message{RoomID: other.ID, SenderID: 1, Text: "x", ClientID: "c1", CreatedAt: now}); got.Seq != 1 {
			t.Errorf("first message of another room: seq %d", got.Seq)
		}

		for _, clientID := range []string{"", "c9"} {
			if _, _, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID + 1000, SenderID: 1, Text: "x", ClientID: clientID, CreatedAt: now}); err == nil {
				t.Errorf("a message to a missing room accepted (client id %q)", clientID)
			}
		}
	})
}

func TestAddMessageConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		const writers, each = 8, 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		var stored []chat.Message
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					clientID := ""
					if i%2 == 0 {
						clientID = fmt.Sprintf("w%d-%d", w, i)
					}
					m, created, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: int64(1 + w%2), Text: "m", ClientID: clientID, CreatedAt: now})
					if err != nil || !created {
						t.Errorf("writer %d message %d: created %v, %v", w, i, created, err)
						return
					}
					mu.Lock()
					stored = append(stored, m)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(stored) != writers*each {
			t.Fatalf("%d messages, want %d", len(stored), writers*each)
		}
		slices.SortFunc(stored, func(a, b chat.Message) int { return cmp.Compare(a.Seq, b.Seq) })
		for i, m := range stored {
			if m.Seq != int64(i+1) {
				t.Fatalf("seq %d at position %d: not 1..%d", m.Seq, i, len(stored))
			}
			if i > 0 && m.ID <= stored[i-1].ID {
				t.Fatalf("seq %d has id %d, seq %d has id %d: ids do not increase with seq", m.Seq-1, stored[i-1].ID, m.Seq, m.ID)
			}
		}
		if got := room(t, st, r.ID); got.LastSeq != writers*each {
			t.Errorf("room last seq %d, want %d", got.LastSeq, writers*each)
		}
		all, err := st.MessagesAfterSeq(ctx, r.ID, 0, 1000)
		if err != nil || len(all) != writers*each {
			t.Errorf("stored %d messages, want %d (%v)", len(all), writers*each, err)
		}
	})
}

func TestAddMessageConcurrentClientID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[int64]bool{}
		creations := 0
		for range 16 {
			wg.Go(func() {
				m, created, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: 1, Text: "once", ClientID: "same", CreatedAt: now})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[m.ID] = true
				if created {
					creations++
				}
			})
		}
		wg.Wait()
		if len(ids) != 1 || creations != 1 {
			t.Errorf("%d messages and %d creations, want 1 and 1", len(ids), creations)
		}
		if all, _ := st.MessagesAfterSeq(ctx, r.ID, 0, 100); len(all) != 1 {
			t.Errorf("%d messages stored, want 1", len(all))
		}
		// No seq was consumed by the retries.
		if next := addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 1, Text: "next", CreatedAt: now}); next.Seq != 2 {
			t.Errorf("the next message has seq %d, want 2", next.Seq)
		}
	})
}

func TestMessagesPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		other := directRoom(t, st, 1, 3, now)
		var id []int64 // id[i] is the id of message i+1 of the room
		for i := range 10 {
			id = append(id, addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 1, Text: fmt.Sprint(i + 1), CreatedAt: now}).ID)
			addMessage(t, st, chat.Message{RoomID: other.ID, SenderID: 1, Text: "other", CreatedAt: now})
		}
		for _, i := range []int{3, 8} { // messages 4 and 9
			if _, ok, err := st.DeleteMessage(ctx, id[i], now); err != nil || !ok {
				t.Fatalf("delete: %v %v", ok, err)
			}
		}
		pick := func(ns ...int) []int64 {
			out := []int64{}
			for _, n := range ns {
				out = append(out, id[n-1])
			}
			return out
		}
		for _, c := range []struct {
			name string
			page chat.Page
			want []int64
		}{
			{"newest", chat.Page{Limit: 3}, pick(7, 8, 10)},
			{"all", chat.Page{}, pick(1, 2, 3, 5, 6, 7, 8, 10)},
			{"after", chat.Page{After: id[1], Limit: 3}, pick(3, 5, 6)},
			{"after the last", chat.Page{After: id[9]}, pick()},
			{"after, to the end", chat.Page{After: id[6], Limit: 10}, pick(8, 10)},
			{"before", chat.Page{Before: id[6], Limit: 3}, pick(3, 5, 6)},
			{"before the first", chat.Page{Before: id[0]}, pick()},
			{"before, from the start", chat.Page{Before: id[2], Limit: 10}, pick(1, 2)},
			{"between", chat.Page{After: id[0], Before: id[7], Limit: 3}, pick(2, 3, 5)},
			{"between, all", chat.Page{After: id[0], Before: id[7]}, pick(2, 3, 5, 6, 7)},
		} {
			t.Run(c.name, func(t *testing.T) {
				ms, err := st.Messages(ctx, r.ID, c.page)
				if err != nil {
					t.Fatal(err)
				}
				if got := messageIDs(ms); !slices.Equal(got, c.want) {
					t.Errorf("ids %v, want %v", got, c.want)
				}
				for _, m := range ms {
					if m.RoomID != r.ID || !m.DeletedAt.IsZero() {
						t.Errorf("listed %+v", m)
					}
				}
			})
		}

		// The default limit is 50.
		for range 55 {
			addMessage(t, st, chat.Message{RoomID: other.ID, SenderID: 1, Text: "more", CreatedAt: now})
		}
		if ms, _ := st.Messages(ctx, other.ID, chat.Page{Limit: -1}); len(ms) != 50 || ms[49].Seq != 65 {
			t.Errorf("default page: %d messages, the last with seq %d", len(ms), ms[len(ms)-1].Seq)
		}
	})
}

func TestMessagesAfterSeq(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		var ms []chat.Message
		for i := range 6 {
			ms = append(ms, addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 2, Text: fmt.Sprint(i), CreatedAt: now}))
		}
		if _, ok, err := st.DeleteMessage(ctx, ms[3].ID, now); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		seqs := func(ms []chat.Message) []int64 {
			out := []int64{}
			for _, m := range ms {
				out = append(out, m.Seq)
			}
			return out
		}
		for _, c := range []struct {
			seq   int64
			limit int
			want  []int64
		}{
			{0, 100, []int64{1, 2, 3, 4, 5, 6}},
			{2, 2, []int64{3, 4}},
			{3, 0, []int64{4, 5, 6}},
			{6, 10, []int64{}},
		} {
			ms, err := st.MessagesAfterSeq(ctx, r.ID, c.seq, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(ms); !slices.Equal(got, c.want) {
				t.Errorf("after %d, limit %d: seqs %v, want %v", c.seq, c.limit, got, c.want)
			}
			for _, m := range ms {
				if m.Seq == 4 && (m.DeletedAt.IsZero() || m.Text != "") {
					t.Errorf("the deleted message listed as %+v", m)
				}
			}
		}
	})
}

func TestEditAndDeleteMessage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		m := addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 1, Text: "helo", ClientID: "c", CreatedAt: now})

		edited, ok, err := st.EditMessage(ctx, m.ID, "hello", now.Add(time.Second))
		want := m
		want.Text, want.EditedAt = "hello", now.Add(time.Second)
		if err != nil || !ok || edited != want {
			t.Errorf("edit: %+v %v %v; want %+v", edited, ok, err, want)
		}
		if got, _, _ := st.Message(ctx, m.ID); got != want {
			t.Errorf("after the edit %+v", got)
		}

		deleted, ok, err := st.DeleteMessage(ctx, m.ID, now.Add(2*time.Second))
		want.Text, want.DeletedAt = "", now.Add(2*time.Second)
		if err != nil || !ok || deleted != want {
			t.Errorf("delete: %+v %v %v; want %+v", deleted, ok, err, want)
		}
		if got, found, _ := st.Message(ctx, m.ID); !found || got != want {
			t.Errorf("after the delete %+v %v", got, found)
		}

		// A deleted message is neither edited nor deleted again.
		if got, ok, err := st.EditMessage(ctx, m.ID, "back", now.Add(3*time.Second)); err != nil || ok || got != (chat.Message{}) {
			t.Errorf("edit of a deleted message: %+v %v %v", got, ok, err)
		}
		if got, ok, err := st.DeleteMessage(ctx, m.ID, now.Add(3*time.Second)); err != nil || ok || got != (chat.Message{}) {
			t.Errorf("second delete: %+v %v %v", got, ok, err)
		}
		if got, _, _ := st.Message(ctx, m.ID); got != want {
			t.Errorf("after the second tries %+v, want %+v", got, want)
		}
		for _, id := range []int64{m.ID + 1000} {
			if _, ok, err := st.EditMessage(ctx, id, "x", now); err != nil || ok {
				t.Errorf("edit of a missing message: %v %v", ok, err)
			}
			if _, ok, err := st.DeleteMessage(ctx, id, now); err != nil || ok {
				t.Errorf("delete of a missing message: %v %v", ok, err)
			}
		}
		// Still the sender's: the same client id is not sent again.
		if got, created, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: 1, Text: "helo", ClientID: "c", CreatedAt: now}); err != nil || created || got != want {
			t.Errorf("retry of a deleted message: %+v %v %v", got, created, err)
		}
	})
}

func TestUserRooms(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		const me = 1
		quiet := groupRoom(t, st, now.Add(-time.Hour), chat.Membership{UserID: me, Role: chat.Owner}, chat.Membership{UserID: 2})
		busy := directRoom(t, st, me, 2, now.Add(-2*time.Hour))
		fresh := directRoom(t, st, 3, me, now.Add(-time.Minute))
		banned := groupRoom(t, st, now.Add(-3*time.Hour), chat.Membership{UserID: me}, chat.Membership{UserID: 3, Role: chat.Owner})
		directRoom(t, st, 2, 3, now) // not mine

		// busy: three messages by others, one by me, one deleted; read up to
		// the first.
		var first chat.Message
		for i, sender := range []int64{2, me, 2, 2, 2} {
			m := addMessage(t, st, chat.Message{RoomID: busy.ID, SenderID: sender, Text: "m", CreatedAt: now.Add(time.Duration(i-10) * time.Second)})
			if i == 0 {
				first = m
			}
			if i == 3 {
				st.DeleteMessage(ctx, m.ID, now)
			}
		}
		if err := st.MarkRead(ctx, busy.ID, me, first.ID); err != nil {
			t.Fatal(err)
		}
		addMessage(t, st, chat.Message{RoomID: banned.ID, SenderID: 3, Text: "m", CreatedAt: now.Add(-150 * time.Minute)})
		if ok, err := st.SetBanned(ctx, banned.ID, me, true); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := st.SetPinned(ctx, quiet.ID, me, true); err != nil {
			t.Fatal(err)
		}

		list, err := st.UserRooms(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			room   int64
			unread int
		}
		var got []row
		for _, l := range list {
			got = append(got, row{l.Room.ID, l.Unread})
			if l.UserID != me || l.RoomID != l.Room.ID {
				t.Errorf("listing of %d has membership %+v", l.Room.ID, l.Membership)
			}
		}
		// busy's last message is 6 s ago, fresh was made a minute ago, quiet
		// an hour ago, banned's message 150 minutes ago.
		want := []row{{busy.ID, 2}, {fresh.ID, 0}, {quiet.ID, 0}, {banned.ID, 1}}
		if !slices.Equal(got, want) {
			t.Fatalf("rooms %v, want %v", got, want)
		}
		if l := list[0]; l.Room != room(t, st, busy.ID) || l.Role != chat.Member || l.LastRead != first.ID {
			t.Errorf("busy listed as %+v", l)
		}
		if l := list[2]; !l.Pinned || l.Role != chat.Owner || l.Kind != chat.Group {
			t.Errorf("quiet listed as %+v", l)
		}
		if l := list[3]; !l.Banned {
			t.Errorf("banned listed as %+v", l)
		}

		if list, err := st.UserRooms(ctx, 99); err != nil || len(list) != 0 {
			t.Errorf("a user with no rooms: %+v, %v", list, err)
		}
	})
}

func TestPresence(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := directRoom(t, st, 1, 2, now)
		present := func(at time.Time, want ...int64) {
			t.Helper()
			got, err := st.PresentUsers(ctx, r.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("present at %v: %v, want %v", at.Sub(now), got, want)
			}
		}
		set := func(user int64, instance string, n int, expires time.Time) {
			t.Helper()
			if err := st.SetPresence(ctx, r.ID, user, instance, n, expires); err != nil {
				t.Fatal(err)
			}
		}
		present(now)
		set(2, "a", 1, now.Add(time.Minute))
		set(1, "a", 2, now.Add(time.Minute))
		set(2, "b", 1, now.Add(2*time.Minute))
		set(3, "b", 1, now.Add(time.Minute))
		if err := st.SetPresence(ctx, r.ID+1, 4, "a", 1, now.Add(time.Minute)); err != nil { // another room
			t.Fatal(err)
		}
		present(now, 1, 2, 3)
		present(now.Add(90*time.Second), 2)
		present(now.Add(2 * time.Minute))

		// Zero connections delete the record; an upsert replaces it.
		set(3, "b", 0, now.Add(time.Minute))
		set(1, "a", 1, now.Add(3*time.Minute))
		present(now.Add(150*time.Second), 1)

		// Renewal moves every record of the instance, and only those.
		if err := st.RenewPresence(ctx, "a", now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		present(now.Add(5*time.Minute), 1, 2)
		if got, _ := st.PresentUsers(ctx, r.ID+1, now.Add(5*time.Minute)); !slices.Equal(got, []int64{4}) {
			t.Errorf("the other room: %v", got)
		}
		present(now.Add(10 * time.Minute))

		// A renewal sweeps the records that expired a day before.
		set(5, "dead", 1, now.Add(-25*time.Hour))
		set(6, "late", 1, now.Add(-23*time.Hour))
		if err := st.RenewPresence(ctx, "a", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.RenewPresence(ctx, "dead", now); err != nil {
			t.Fatal(err)
		}
		if err := st.RenewPresence(ctx, "late", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		present(now, 1, 2, 6)
	})
}

func TestDeleteRoom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := chatNow()
		r := groupRoom(t, st, now, chat.Membership{UserID: 1, Role: chat.Owner}, chat.Membership{UserID: 2})
		kept := directRoom(t, st, 1, 2, now)
		m := addMessage(t, st, chat.Message{RoomID: r.ID, SenderID: 1, Text: "x", CreatedAt: now})
		k := addMessage(t, st, chat.Message{RoomID: kept.ID, SenderID: 1, Text: "y", CreatedAt: now})
		for _, id := range []int64{r.ID, kept.ID} {
			if err := st.SetPresence(ctx, id, 1, "a", 1, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}

		if err := st.DeleteRoom(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteRoom(ctx, r.ID); err != nil {
			t.Errorf("second delete: %v", err)
		}
		if _, found, err := st.Room(ctx, r.ID); err != nil || found {
			t.Errorf("room: %v %v", found, err)
		}
		if ms := members(t, st, r.ID); len(ms) != 0 {
			t.Errorf("members left: %+v", ms)
		}
		if _, found, _ := st.Message(ctx, m.ID); found {
			t.Error("message left")
		}
		if users, _ := st.PresentUsers(ctx, r.ID, now); len(users) != 0 {
			t.Errorf("presence left: %v", users)
		}
		if list, _ := st.UserRooms(ctx, 1); len(list) != 1 || list[0].Room.ID != kept.ID {
			t.Errorf("rooms of user 1: %+v", list)
		}

		// The other room is whole.
		if ms := members(t, st, kept.ID); len(ms) != 2 {
			t.Errorf("members of the kept room: %+v", ms)
		}
		if _, found, _ := st.Message(ctx, k.ID); !found {
			t.Error("the kept room's message is gone")
		}
		if users, _ := st.PresentUsers(ctx, kept.ID, now); !slices.Equal(users, []int64{1}) {
			t.Errorf("presence of the kept room: %v", users)
		}
	})
}

func TestUsersByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		a, _, _ := st.LoginUser(ctx, "09120000011", 0)
		b, _, _ := st.LoginUser(ctx, "09120000012", 1)
		for _, c := range []struct {
			name string
			ids  []int64
			want []int64
		}{
			{"none", nil, nil},
			{"one", []int64{a.ID}, []int64{a.ID}},
			{"two and a missing one", []int64{b.ID, 1 << 40, a.ID}, []int64{a.ID, b.ID}},
			{"repeated", []int64{a.ID, a.ID}, []int64{a.ID}},
			{"missing only", []int64{-1, 1 << 40}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				users, err := st.UsersByID(ctx, c.ids)
				if err != nil {
					t.Fatal(err)
				}
				if users == nil || len(users) != len(c.want) {
					t.Fatalf("users %v, want ids %v", users, c.want)
				}
				for _, id := range c.want {
					want := a
					if id == b.ID {
						want = b
					}
					if users[id] != want {
						t.Errorf("user %d: %+v, want %+v", id, users[id], want)
					}
				}
			})
		}
	})
}

// TestSQLiteTransactionsWithColdStatements: the transactions on SQLite's
// one connection run while other calls prepare their statements for the
// first time. Through gorm's cache of prepared statements this
// deadlocked within a few rounds.
func TestSQLiteTransactionsWithColdStatements(t *testing.T) {
	t.Parallel()
	for round := range 50 {
		// A store without testdb's clean-up, which would wait for a
		// deadlocked connection.
		st, err := store.New(testdb.SQLiteDB(t), store.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := chatNow()
		done := make(chan struct{})
		go func() {
			defer close(done)
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					r, _, err := st.DirectRoom(ctx, 1, int64(2+i), now)
					if err == nil {
						_, _, err = st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: 1, Text: "x", ClientID: "c", CreatedAt: now})
					}
					if err != nil {
						t.Error(err)
					}
				})
				wg.Go(func() {
					if _, err := st.CreateGroupRoom(ctx, chat.Room{Name: "g"}, []chat.Membership{{UserID: 1}}); err != nil {
						t.Error(err)
					}
				})
				wg.Go(func() { _, _, _ = st.Room(ctx, 1) })
				wg.Go(func() { _, _, _ = st.Message(ctx, 1) })
				wg.Go(func() { _, _ = st.Members(ctx, 1) })
				wg.Go(func() { _, _ = st.UserRooms(ctx, 1) })
			}
			wg.Wait()
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			panic(fmt.Sprintf("round %d deadlocked", round)) // with every goroutine's stack
		}
	}
}

// BenchmarkAddMessage measures AddMessage on one room, from parallel
// writers.
func BenchmarkAddMessage(b *testing.B) {
	for _, backend := range testdb.Backends {
		b.Run(backend.Name, func(b *testing.B) {
			st := backend.Open(b)
			r, _, err := st.DirectRoom(ctx, 1, 2, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := st.AddMessage(ctx, chat.Message{RoomID: r.ID, SenderID: 1, Text: "benchmark", CreatedAt: time.Now()}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
