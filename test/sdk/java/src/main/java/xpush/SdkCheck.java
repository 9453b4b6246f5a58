package xpush;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.centrifugal.centrifuge.*;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.*;

/**
 * A thin driver around the official centrifuge-java SDK (Protobuf only) for test/sdk/sdk.test.ts: it
 * reads one JSON command per line on stdin, performs it with the SDK and writes JSON lines on stdout
 * — a reply {"id", "ok"|"error"} per command and an {"event", ...} line for every SDK callback. The
 * test holds the scenario and the assertions, so every SDK is checked against the same expectations.
 */
public final class SdkCheck {
  private static final Gson GSON = new Gson();
  // HTTP/1.1: the default client offers an h2c upgrade (`Upgrade: h2c`) on http:// URLs, and XPUSH's
  // WebSocket upgrade handler answers such a request 404 instead of serving the route (a known XPUSH
  // bug, shown by a todo test in sdk.test.ts). The token request stands in for the app's backend.
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static volatile Client client;

  static synchronized void emit(Map<String, Object> m) {
    System.out.println(GSON.toJson(m));
    System.out.flush();
  }

  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  /** SDK bytes to JSON output: the value itself when the bytes are JSON text, else base64. */
  static Object payload(byte[] b) {
    if (b == null || b.length == 0) return null;
    try {
      return JsonParser.parseString(new String(b, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return obj("base64", Base64.getEncoder().encodeToString(b));
    }
  }

  static byte[] bytes(JsonElement e) {
    return (e == null ? "{}" : e.toString()).getBytes(StandardCharsets.UTF_8);
  }

  static Object info(ClientInfo ci) {
    if (ci == null) return null;
    return obj("user", ci.getUser(), "client", ci.getClient(), "connInfo", payload(ci.getConnInfo()), "chanInfo", payload(ci.getChanInfo()));
  }

  static ConnectionTokenGetter tokenGetter(JsonObject req) {
    return new ConnectionTokenGetter() {
      @Override
      public void getConnectionToken(ConnectionTokenEvent event, TokenCallback cb) {
        try {
          HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(req.get("url").getAsString()))
              .header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(req.has("body") ? req.get("body").toString() : "{}"));
          if (req.has("headers")) for (var h : req.getAsJsonObject("headers").entrySet()) r.header(h.getKey(), h.getValue().getAsString());
          HttpResponse<String> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
          if (res.statusCode() != 200) throw new IllegalStateException("token endpoint answered " + res.statusCode() + ": " + res.body());
          String token = JsonParser.parseString(res.body()).getAsJsonObject().get("token").getAsString();
          emit(obj("event", "token", "ok", true));
          cb.Done(null, token);
        } catch (Exception e) {
          emit(obj("event", "token", "ok", false));
          cb.Done(e, null);
        }
      }
    };
  }

  static final EventListener EVENTS = new EventListener() {
    @Override public void onConnecting(Client c, ConnectingEvent e) { emit(obj("event", "connecting", "code", e.getCode(), "reason", e.getReason())); }
    @Override public void onConnected(Client c, ConnectedEvent e) { emit(obj("event", "connected", "client", e.getClient(), "data", payload(e.getData()))); }
    @Override public void onDisconnected(Client c, DisconnectedEvent e) { emit(obj("event", "disconnected", "code", e.getCode(), "reason", e.getReason())); }
    @Override public void onError(Client c, ErrorEvent e) { emit(obj("event", "error", "message", String.valueOf(e.getError()))); }
    @Override public void onMessage(Client c, MessageEvent e) { emit(obj("event", "message", "data", payload(e.getData()))); }
  };

  static SubscriptionEventListener subEvents(String ch) {
    return new SubscriptionEventListener() {
      @Override public void onSubscribing(Subscription s, SubscribingEvent e) { emit(obj("event", "subscribing", "channel", ch, "code", e.getCode(), "reason", e.getReason())); }
      @Override public void onSubscribed(Subscription s, SubscribedEvent e) {
        emit(obj("event", "subscribed", "channel", ch, "wasRecovering", e.wasRecovering(), "recovered", e.getRecovered(), "positioned", e.getPositioned(), "recoverable", e.getRecoverable()));
      }
      @Override public void onUnsubscribed(Subscription s, UnsubscribedEvent e) { emit(obj("event", "unsubscribed", "channel", ch, "code", e.getCode(), "reason", e.getReason())); }
      @Override public void onError(Subscription s, SubscriptionErrorEvent e) { emit(obj("event", "subError", "channel", ch, "message", String.valueOf(e.getError()))); }
      @Override public void onPublication(Subscription s, PublicationEvent e) {
        emit(obj("event", "publication", "channel", ch, "offset", e.getOffset(), "data", payload(e.getData()), "info", info(e.getInfo()), "tags", e.getTags()));
      }
    };
  }

  /** Waits for an SDK callback: its error is thrown, its value returned. */
  static <T> T await(java.util.function.Consumer<ResultCallback<T>> call) throws Throwable {
    CompletableFuture<T> f = new CompletableFuture<>();
    call.accept((err, v) -> { if (err != null) f.completeExceptionally(err); else f.complete(v); });
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  static Object run(JsonObject c) throws Throwable {
    String op = c.get("op").getAsString();
    String ch = c.has("channel") ? c.get("channel").getAsString() : null;
    if (op.equals("connect")) {
      Options opts = new Options();
      if (c.has("token")) opts.setToken(c.get("token").getAsString());
      if (c.has("refresh")) opts.setTokenGetter(tokenGetter(c.getAsJsonObject("refresh")));
      opts.setMinReconnectDelay(50);
      opts.setMaxReconnectDelay(500);
      Client old = client;
      client = new Client(c.get("url").getAsString(), opts, EVENTS);
      if (old != null) old.disconnect();
      client.connect();
      return obj();
    }
    Client cl = client;
    if (cl == null) throw new IllegalStateException("not connected: send connect first");
    switch (op) {
      case "close":
        cl.disconnect();
        return obj();
      case "subscribe": {
        SubscriptionOptions so = new SubscriptionOptions();
        so.setPositioned(true);
        so.setRecoverable(true);
        so.setMinResubscribeDelay(50);
        so.setMaxResubscribeDelay(500);
        cl.newSubscription(ch, so, subEvents(ch)).subscribe();
        return obj();
      }
      case "publish":
        SdkCheck.<PublishResult>await(cb -> cl.publish(ch, bytes(c.get("data")), cb));
        return obj();
      case "history": {
        HistoryOptions.Builder b = new HistoryOptions.Builder().withLimit(c.has("limit") ? c.get("limit").getAsInt() : 0);
        if (c.has("reverse")) b.withReverse(c.get("reverse").getAsBoolean());
        if (c.has("since")) {
          JsonObject s = c.getAsJsonObject("since");
          b.withSince(new StreamPosition(s.get("offset").getAsLong(), s.get("epoch").getAsString()));
        }
        HistoryResult r = await(cb -> cl.history(ch, b.build(), cb));
        List<Object> pubs = new ArrayList<>();
        for (Publication p : r.getPublications()) pubs.add(obj("offset", p.getOffset(), "data", payload(p.getData()), "info", info(p.getInfo())));
        return obj("offset", r.getOffset(), "epoch", r.getEpoch(), "publications", pubs);
      }
      case "presence": {
        PresenceResult r = await(cb -> cl.presence(ch, cb));
        Map<String, Object> clients = new LinkedHashMap<>();
        r.getClients().forEach((k, v) -> clients.put(k, info(v)));
        return obj("clients", clients);
      }
      case "presenceStats": {
        PresenceStatsResult r = await(cb -> cl.presenceStats(ch, cb));
        return obj("numClients", r.getNumClients(), "numUsers", r.getNumUsers());
      }
      case "rpc": {
        RPCResult r = await(cb -> cl.rpc(c.get("method").getAsString(), bytes(c.get("data")), cb));
        return obj("data", payload(r.getData()));
      }
      default:
        throw new IllegalArgumentException("unknown op " + op);
    }
  }

  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      JsonObject c;
      try {
        c = JsonParser.parseString(line).getAsJsonObject();
      } catch (RuntimeException e) {
        emit(obj("event", "error", "message", "bad command: " + e.getMessage()));
        continue;
      }
      if (c.get("op").getAsString().equals("exit")) break;
      Object id = c.has("id") ? c.get("id").getAsInt() : null;
      pool.submit(() -> { // commands run concurrently, like an application's calls would
        try {
          emit(obj("id", id, "ok", run(c)));
        } catch (ReplyError e) {
          emit(obj("id", id, "error", obj("code", e.getCode(), "message", e.getMessage(), "temporary", e.isTemporary())));
        } catch (Throwable e) {
          emit(obj("id", id, "error", obj("code", 0, "message", e.toString())));
        }
      });
    }
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    Client cl = client;
    if (cl != null) {
      cl.disconnect();
      cl.close(1000);
    }
    System.exit(0);
  }
}
