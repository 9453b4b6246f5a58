// A thin driver around the official centrifuge-go SDK for test/sdk/sdk.test.ts: it reads one JSON
// command per line on stdin, performs it with the SDK, and writes JSON lines on stdout — a reply
// {"id", "ok"|"error"} per command and an {"event", ...} line for every SDK callback. The test holds
// the scenario and the assertions, so every SDK is checked against the same expectations.
// `-protobuf` selects the SDK's Protobuf client instead of the JSON one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge-go"
)

type command struct {
	ID      int              `json:"id"`
	Op      string           `json:"op"`
	URL     string           `json:"url"`
	Token   string           `json:"token"`
	Refresh *tokenRequest    `json:"refresh"`
	Channel string           `json:"channel"`
	Data    json.RawMessage  `json:"data"`
	Method  string           `json:"method"`
	Limit   int32            `json:"limit"`
	Reverse bool             `json:"reverse"`
	Since   *json.RawMessage `json:"since"`
}

// tokenRequest is how the token callback gets a fresh token: an HTTP POST to the app backend.
type tokenRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

var (
	outMu    sync.Mutex
	out      = json.NewEncoder(os.Stdout)
	protobuf = flag.Bool("protobuf", false, "use the Protobuf client")
	client   *centrifuge.Client
	clientMu sync.Mutex
)

func emit(v map[string]any) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

// payload turns SDK bytes into JSON output: the value itself when it is JSON, else base64.
func payload(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	return map[string]string{"base64": base64.StdEncoding.EncodeToString(b)}
}

func info(ci *centrifuge.ClientInfo) any {
	if ci == nil {
		return nil
	}
	return map[string]any{"user": ci.User, "client": ci.Client, "connInfo": payload(ci.ConnInfo), "chanInfo": payload(ci.ChanInfo)}
}

func pub(p centrifuge.Publication) map[string]any {
	return map[string]any{"offset": p.Offset, "data": payload(p.Data), "info": info(p.Info), "tags": p.Tags}
}

func fetchToken(r *tokenRequest) (string, error) {
	req, err := http.NewRequest("POST", r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return "", err
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var parsed struct{ Token string }
	if res.StatusCode != 200 || json.Unmarshal(body, &parsed) != nil || parsed.Token == "" {
		return "", fmt.Errorf("token endpoint answered %d: %s", res.StatusCode, body)
	}
	return parsed.Token, nil
}

func connect(c command) error {
	cfg := centrifuge.Config{Token: c.Token, MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 500 * time.Millisecond}
	if c.Refresh != nil {
		r := c.Refresh
		cfg.GetToken = func(centrifuge.ConnectionTokenEvent) (string, error) {
			t, err := fetchToken(r)
			emit(map[string]any{"event": "token", "ok": err == nil})
			return t, err
		}
	}
	var cl *centrifuge.Client
	if *protobuf {
		cl = centrifuge.NewProtobufClient(c.URL, cfg)
	} else {
		cl = centrifuge.NewJsonClient(c.URL, cfg)
	}
	cl.OnConnecting(func(e centrifuge.ConnectingEvent) {
		emit(map[string]any{"event": "connecting", "code": e.Code, "reason": e.Reason})
	})
	cl.OnConnected(func(e centrifuge.ConnectedEvent) {
		emit(map[string]any{"event": "connected", "client": e.ClientID, "data": payload(e.Data)})
	})
	cl.OnDisconnected(func(e centrifuge.DisconnectedEvent) {
		emit(map[string]any{"event": "disconnected", "code": e.Code, "reason": e.Reason})
	})
	cl.OnError(func(e centrifuge.ErrorEvent) { emit(map[string]any{"event": "error", "message": e.Error.Error()}) })
	cl.OnMessage(func(e centrifuge.MessageEvent) { emit(map[string]any{"event": "message", "data": payload(e.Data)}) })
	clientMu.Lock()
	old := client
	client = cl
	clientMu.Unlock()
	if old != nil {
		old.Close()
	}
	return cl.Connect()
}

func subscribe(c command) error {
	sub, err := current().NewSubscription(c.Channel, centrifuge.SubscriptionConfig{Positioned: true, Recoverable: true,
		MinResubscribeDelay: 50 * time.Millisecond, MaxResubscribeDelay: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	ch := c.Channel
	sub.OnSubscribing(func(e centrifuge.SubscribingEvent) {
		emit(map[string]any{"event": "subscribing", "channel": ch, "code": e.Code, "reason": e.Reason})
	})
	sub.OnSubscribed(func(e centrifuge.SubscribedEvent) {
		emit(map[string]any{"event": "subscribed", "channel": ch, "wasRecovering": e.WasRecovering, "recovered": e.Recovered,
			"positioned": e.Positioned, "recoverable": e.Recoverable})
	})
	sub.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) {
		emit(map[string]any{"event": "unsubscribed", "channel": ch, "code": e.Code, "reason": e.Reason})
	})
	sub.OnError(func(e centrifuge.SubscriptionErrorEvent) {
		emit(map[string]any{"event": "subError", "channel": ch, "message": e.Error.Error()})
	})
	sub.OnPublication(func(e centrifuge.PublicationEvent) {
		m := pub(e.Publication)
		m["event"], m["channel"] = "publication", ch
		emit(m)
	})
	return sub.Subscribe()
}

func current() *centrifuge.Client {
	clientMu.Lock()
	defer clientMu.Unlock()
	return client
}

// run performs one command; its result is the reply's "ok".
func run(c command) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.Op != "connect" && current() == nil {
		return nil, errors.New("not connected: send connect first")
	}
	switch c.Op {
	case "connect":
		return map[string]any{}, connect(c)
	case "close":
		current().Close()
		return map[string]any{}, nil
	case "subscribe":
		return map[string]any{}, subscribe(c)
	case "publish":
		_, err := current().Publish(ctx, c.Channel, c.Data)
		return map[string]any{}, err
	case "history":
		opts := []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(c.Limit), centrifuge.WithHistoryReverse(c.Reverse)}
		if c.Since != nil {
			var sp centrifuge.StreamPosition
			if err := json.Unmarshal(*c.Since, &sp); err != nil {
				return nil, err
			}
			opts = append(opts, centrifuge.WithHistorySince(&sp))
		}
		r, err := current().History(ctx, c.Channel, opts...)
		pubs := []any{}
		for _, p := range r.Publications {
			pubs = append(pubs, pub(p))
		}
		return map[string]any{"offset": r.Offset, "epoch": r.Epoch, "publications": pubs}, err
	case "presence":
		r, err := current().Presence(ctx, c.Channel)
		clients := map[string]any{}
		for id, ci := range r.Clients {
			clients[id] = info(&ci)
		}
		return map[string]any{"clients": clients}, err
	case "presenceStats":
		r, err := current().PresenceStats(ctx, c.Channel)
		return map[string]any{"numClients": r.NumClients, "numUsers": r.NumUsers}, err
	case "rpc":
		r, err := current().RPC(ctx, c.Method, c.Data)
		return map[string]any{"data": payload(r.Data)}, err
	}
	return nil, fmt.Errorf("unknown op %q", c.Op)
}

func main() {
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	var wg sync.WaitGroup
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			emit(map[string]any{"event": "error", "message": "bad command: " + err.Error()})
			continue
		}
		if c.Op == "exit" {
			break
		}
		wg.Add(1)
		go func() { // commands run concurrently, like an application's calls would
			defer wg.Done()
			res, err := run(c)
			var se *centrifuge.Error
			switch {
			case errors.As(err, &se):
				emit(map[string]any{"id": c.ID, "error": map[string]any{"code": se.Code, "message": se.Message, "temporary": se.Temporary}})
			case err != nil:
				emit(map[string]any{"id": c.ID, "error": map[string]any{"code": 0, "message": err.Error()}})
			default:
				emit(map[string]any{"id": c.ID, "ok": res})
			}
		}()
	}
	wg.Wait()
	if cl := current(); cl != nil {
		cl.Close()
	}
}
