/*
 * The floor of the `topics` benchmark: Kafka's own Java AdminClient creates N topics in ONE createTopics
 * call, then polls describeTopics until every partition of every topic has a leader, and prints what it
 * measured as one line of JSON on stdout. bench/topics.ts compiles it with the machine's javac against
 * the stack's Kafka jars (into a cache folder keyed by this file's digest) and runs it against the same
 * broker and topics as redpanda-topics.
 *
 * Arguments (all required but --config, which repeats):
 *   --bootstrap host:port  --client-config <properties file: security.protocol, sasl.*>
 *   --prefix <name prefix> --count N  --partitions P  --replication-factor R (-1: broker default)
 *   --timeout-ms T  [--config key=value]...
 * Topic names are <prefix><i>, i zero-padded to 4 digits, as bench/topics.ts names them.
 *
 * Times (milliseconds, System.nanoTime):
 *   connect_ms   Admin.create until the first answer (describeCluster): the client's connection and SASL
 *   create_ms    the createTopics call until its answer
 *   leaders_ms   from that answer until describeTopics shows a leader for every partition
 *   elapsed_ms   Admin.create until every leader: the floor the benchmark compares against
 */
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

public final class TopicsFloor {
  private static final long POLL_MS = 20;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    Map<String, String> configs = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--config")) {
        String kv = args[i + 1];
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--config wants key=value, got " + kv);
        configs.put(kv.substring(0, eq), kv.substring(eq + 1));
      } else {
        opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
    }
    for (String k : List.of("bootstrap", "client-config", "prefix", "count", "partitions", "replication-factor", "timeout-ms")) {
      if (!opts.containsKey(k)) throw new IllegalArgumentException("missing --" + k);
    }
    int count = Integer.parseInt(opts.get("count"));
    int partitions = Integer.parseInt(opts.get("partitions"));
    short replication = Short.parseShort(opts.get("replication-factor"));
    int timeoutMs = Integer.parseInt(opts.get("timeout-ms"));

    Properties props = new Properties();
    try (InputStream in = new FileInputStream(opts.get("client-config"))) {
      props.load(in);
    }
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, opts.get("bootstrap"));
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-topics-floor");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));

    List<String> names = new ArrayList<>(count);
    List<NewTopic> topics = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = opts.get("prefix") + String.format("%04d", i);
      names.add(name);
      topics.add(new NewTopic(name, partitions < 0 ? Optional.empty() : Optional.of(partitions), replication < 0 ? Optional.empty() : Optional.of(replication)).configs(configs));
    }

    long t0 = System.nanoTime();
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
      long tConnected = System.nanoTime();
      admin.createTopics(topics, new CreateTopicsOptions().timeoutMs(timeoutMs)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
      long tCreated = System.nanoTime();
      List<String> pending = new ArrayList<>(names);
      int polls = 0;
      long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (true) {
        polls++;
        Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(pending).topicNameValues();
        List<String> still = new ArrayList<>();
        for (String name : pending) {
          try {
            TopicDescription d = described.get(name).get(timeoutMs, TimeUnit.MILLISECONDS);
            boolean ready = d.partitions().size() >= Math.max(1, partitions);
            for (TopicPartitionInfo p : d.partitions()) ready &= p.leader() != null && p.leader().id() >= 0;
            if (!ready) still.add(name);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
            still.add(name);
          }
        }
        pending = still;
        if (pending.isEmpty()) break;
        if (System.nanoTime() > deadline) throw new IllegalStateException(pending.size() + " topic(s) have no leader after " + timeoutMs + " ms, e.g. " + pending.get(0));
        Thread.sleep(POLL_MS);
      }
      long tReady = System.nanoTime();
      System.out.printf("{\"n\":%d,\"connect_ms\":%.1f,\"create_ms\":%.1f,\"leaders_ms\":%.1f,\"elapsed_ms\":%.1f,\"polls\":%d}%n",
          count, ms(tConnected - t0), ms(tCreated - tConnected), ms(tReady - tCreated), ms(tReady - t0), polls);
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
