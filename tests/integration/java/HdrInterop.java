// Driver for tests/integration/hdr_interop_test.cc: the HdrHistogram Java library's side of the
// interoperability checks. Run as a single-file program:
//
//   java -cp /usr/share/java/hdrhistogram.jar HdrInterop.java write DIR
//       Records the seeded data sets below and writes, per data set i:
//         DIR/java_i.plain  encodeIntoByteBuffer bytes
//         DIR/java_i.b64    base64 of encodeIntoCompressedByteBuffer
//         DIR/java_i.stats  "name value" lines (total, percentiles, min, max, mean, stddev)
//       and DIR/java.hlog, written with HistogramLogWriter (three intervals, one tagged).
//   java -cp /usr/share/java/hdrhistogram.jar HdrInterop.java read DIR N
//       Decodes DIR/ours_0.b64 .. DIR/ours_{N-1}.b64 (decodeFromCompressedByteBuffer) and
//       DIR/ours.hlog (HistogramLogReader) and prints what it found on stdout.
//   java -cp /usr/share/java/hdrhistogram.jar HdrInterop.java sum FILE...
//       Reads each .hlog (HistogramLogReader), adds its intervals into one histogram and prints
//       "FILE intervals N total N p50 V p90 V p95 V p99 V p999 V max V" (values as recorded).
//
// The data sets must stay identical to kDataSets in hdr_interop_test.cc.
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.zip.DataFormatException;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

public class HdrInterop {
  // {lowest discernible value, highest trackable value, significant digits, records, seed}
  static final long[][] DATA_SETS = {
    {1, 3_600_000_000L, 3, 100_000, 1},
    {1_000, 3_600_000_000_000L, 2, 50_000, 2},
    {1, 10_000_000_000L, 5, 50_000, 3},
    {1, 3_600_000_000L, 1, 20_000, 4},
    {1, 3_600_000_000L, 3, 0, 5},
  };
  static final double[] PERCENTILES = {0, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
  static final long LOG_BASE_TIME_MS = 1_700_000_000_123L;

  // SplitMix64, the same sequence the C++ test generates.
  static long state;

  static long next() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // Values spread over many magnitudes (0 .. 2^31), each recorded 1..16 times.
  static Histogram generate(int i) {
    long[] d = DATA_SETS[i];
    Histogram h = new Histogram(d[0], d[1], (int) d[2]);
    state = d[4];
    for (long n = 0; n < d[3]; n++) {
      long r = next();
      long value = (r >>> 33) >>> (r & 31);
      long count = 1 + (r >>> 60);
      h.recordValueWithCount(value, count);
    }
    return h;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("write")) {
      write(Path.of(args[1]));
    } else if (args.length == 3 && args[0].equals("read")) {
      read(Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (args.length >= 2 && args[0].equals("sum")) {
      sum(Arrays.copyOfRange(args, 1, args.length));
    } else {
      System.err.println("usage: HdrInterop write DIR | HdrInterop read DIR N | HdrInterop sum FILE...");
      System.exit(2);
    }
  }

  static void write(Path dir) throws IOException {
    for (int i = 0; i < DATA_SETS.length; i++) {
      Histogram h = generate(i);
      ByteBuffer plain = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
      int plainBytes = h.encodeIntoByteBuffer(plain);
      Files.write(dir.resolve("java_" + i + ".plain"), Arrays.copyOf(plain.array(), plainBytes));
      ByteBuffer compressed = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
      int compressedBytes = h.encodeIntoCompressedByteBuffer(compressed);
      String base64 =
          Base64.getEncoder().encodeToString(Arrays.copyOf(compressed.array(), compressedBytes));
      Files.writeString(dir.resolve("java_" + i + ".b64"), base64);
      try (PrintStream out = new PrintStream(dir.resolve("java_" + i + ".stats").toFile())) {
        writeStats(out, h);
      }
    }
    writeLog(dir.resolve("java.hlog"));
  }

  static void writeStats(PrintStream out, Histogram h) {
    out.println("total " + h.getTotalCount());
    for (double p : PERCENTILES) {
      out.println("percentile " + p + " " + h.getValueAtPercentile(p));
    }
    out.println("min " + h.getMinValue());
    out.println("max " + h.getMaxValue());
    out.println(String.format(Locale.US, "mean %.17g", h.getMean()));
    out.println(String.format(Locale.US, "stddev %.17g", h.getStdDeviation()));
  }

  // Three one-second intervals of data sets 0, 1 and 3; the second is tagged "reads".
  static void writeLog(Path path) throws IOException {
    HistogramLogWriter writer = new HistogramLogWriter(path.toFile());
    writer.outputComment("[Logged by HdrInterop.java]");
    writer.outputLogFormatVersion();
    writer.outputStartTime(LOG_BASE_TIME_MS);
    writer.setBaseTime(LOG_BASE_TIME_MS);
    writer.outputBaseTime(LOG_BASE_TIME_MS);
    writer.outputLegend();
    int[] sets = {0, 1, 3};
    for (int k = 0; k < sets.length; k++) {
      Histogram h = generate(sets[k]);
      h.setStartTimeStamp(LOG_BASE_TIME_MS + 1000L * k);
      h.setEndTimeStamp(LOG_BASE_TIME_MS + 1000L * (k + 1));
      if (k == 1) h.setTag("reads");
      writer.outputIntervalHistogram(h);
    }
    writer.close();
  }

  static void read(Path dir, int blobs) throws IOException, DataFormatException {
    PrintStream out = System.out;
    for (int i = 0; i < blobs; i++) {
      byte[] bytes = Base64.getDecoder().decode(Files.readString(dir.resolve("ours_" + i + ".b64")));
      Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
      out.println("blob " + i);
      describe(out, h);
    }
    HistogramLogReader reader = new HistogramLogReader(dir.resolve("ours.hlog").toFile());
    EncodableHistogram e;
    while ((e = reader.nextIntervalHistogram()) != null) {
      Histogram h = (Histogram) e;
      out.println("interval " + (h.getTag() == null ? "-" : h.getTag()) + " "
          + h.getStartTimeStamp() + " " + h.getEndTimeStamp());
      describe(out, h);
    }
    out.println("done");
  }

  static void sum(String[] files) throws IOException {
    for (String file : files) {
      HistogramLogReader reader = new HistogramLogReader(file);
      Histogram total = null;
      int intervals = 0;
      EncodableHistogram e;
      while ((e = reader.nextIntervalHistogram()) != null) {
        Histogram h = (Histogram) e;
        if (total == null) {
          total = new Histogram(h.getLowestDiscernibleValue(), h.getHighestTrackableValue(),
              h.getNumberOfSignificantValueDigits());
        }
        total.add(h);
        intervals++;
      }
      if (total == null) total = new Histogram(3);
      System.out.println(file + " intervals " + intervals + " total " + total.getTotalCount()
          + " p50 " + total.getValueAtPercentile(50) + " p90 " + total.getValueAtPercentile(90)
          + " p95 " + total.getValueAtPercentile(95) + " p99 " + total.getValueAtPercentile(99)
          + " p999 " + total.getValueAtPercentile(99.9) + " max " + total.getMaxValue());
    }
  }

  // Layout, totals, p50/p99/max and every non-empty bucket (as its lowest equivalent value).
  static void describe(PrintStream out, Histogram h) {
    out.println("layout " + h.getLowestDiscernibleValue() + " " + h.getHighestTrackableValue()
        + " " + h.getNumberOfSignificantValueDigits());
    out.println("total " + h.getTotalCount());
    out.println("p50 " + h.getValueAtPercentile(50));
    out.println("p99 " + h.getValueAtPercentile(99));
    out.println("max " + h.getMaxValue());
    for (HistogramIterationValue v : h.recordedValues()) {
      out.println("bucket " + h.lowestEquivalentValue(v.getValueIteratedTo()) + " "
          + v.getCountAtValueIteratedTo());
    }
    out.println("end");
  }
}
