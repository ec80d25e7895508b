package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class DurableLongTest {

  @TempDir
  Path dir;

  private OnContext on;
  private Path file;

  @BeforeEach
  void setUp(Vertx vertx) {
    on = new OnContext(vertx);
    file = dir.resolve("proposer").resolve("ballot-floor");
  }

  private DurableLong open() throws Exception {
    return on.await(() -> DurableLong.open(on.vertx, file.toString()));
  }

  @Test
  void missingFileReadsAsZero() throws Exception {
    assertEquals(0, open().get());
    assertFalse(Files.exists(file), "reading does not create the file");
  }

  @Test
  void storedValueSurvivesRestart() throws Exception {
    DurableLong floor = open();
    on.await(() -> floor.store(1_000));
    assertEquals(1_000, floor.get());
    on.await(() -> floor.store(Long.MAX_VALUE - 1));
    assertEquals(Long.MAX_VALUE - 1, open().get());
    assertFalse(Files.exists(Path.of(file + ".tmp")), "the temporary file was renamed");
  }

  @Test
  void storesApplyInCallOrder() throws Exception {
    DurableLong floor = open();
    on.await(() -> {
      List<Future<Void>> stores = new ArrayList<>();
      for (long v = 1; v <= 20; v++) stores.add(floor.store(v * 100));
      return Future.all(stores).mapEmpty();
    });
    assertEquals(2_000, floor.get());
    assertEquals(2_000, open().get());
  }

  @Test
  void leftoverTemporaryFileIsIgnored() throws Exception {
    DurableLong floor = open();
    on.await(() -> floor.store(42));
    Files.write(Path.of(file + ".tmp"), new byte[] {1, 2, 3}); // a crash while writing the next value
    assertEquals(42, open().get());
    assertFalse(Files.exists(Path.of(file + ".tmp")));
  }

  @Test
  void damagedFileStopsOpenInsteadOfReadingZero() throws Exception {
    DurableLong floor = open();
    on.await(() -> floor.store(42));
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(9);
      raf.write(0x7F);
    }
    Throwable t = on.failure(() -> DurableLong.open(on.vertx, file.toString()));
    assertInstanceOf(StoreCorruptedException.class, t);
  }
}
