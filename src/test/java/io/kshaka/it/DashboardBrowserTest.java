package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard (/ui/) in a real browser: Debian's chromium driven by chromedriver through Selenium, against three
 * live nodes. It shows the nodes, writes a key through the key browser (confirming), which HTTP then reads, and
 * shows a killed node in red. Skipped, saying so, when /usr/bin/chromium or /usr/bin/chromedriver is missing, unless
 * -Dkshaka.browser.required=true (.ci/run installs them and sets it). Leaves a screenshot in target/dashboard.png.
 */
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of(System.getProperty("kshaka.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getProperty("kshaka.chromedriver", "/usr/bin/chromedriver"));

  @TempDir
  static Path dir;

  static TestCluster cluster;
  static WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present && Boolean.getBoolean("kshaka.browser.required")) {
      throw new AssertionError(CHROMIUM + " or " + CHROMEDRIVER + " missing (apt-get install chromium chromium-driver)");
    }
    Assumptions.assumeTrue(present,
        "chromium or chromedriver missing (apt-get install chromium chromium-driver): browser test skipped");
    cluster = TestCluster.start(dir.resolve("cluster"), 3, new JsonObject().put("requestTimeoutMs", 5_000));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.quit();
    if (cluster != null) cluster.close();
  }

  static WebDriverWait waiting() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(90), Duration.ofMillis(200));
    wait.ignoring(StaleElementReferenceException.class); // the page redraws as it polls
    return wait;
  }

  static String rowClass(int node) {
    return row(node, e -> e.getAttribute("class"));
  }

  /**
   * Reads the row of a node. The page redraws the table on every poll, so an element found a moment ago may be gone:
   * then look it up again.
   */
  static String row(int node, Function<WebElement, String> read) {
    for (int attempt = 0; ; attempt++) {
      try {
        List<WebElement> rows = browser.findElements(By.cssSelector("#nodes tbody tr[data-node='" + node + "']"));
        return rows.isEmpty() ? "" : read.apply(rows.get(0));
      } catch (StaleElementReferenceException redrawn) {
        if (attempt == 20) throw redrawn;
      }
    }
  }

  @Test
  void theDashboardWritesAKeyAndShowsAKilledNodeInRed() throws Exception {
    browser.get(cluster.url(1) + "/ui/?poll=500");
    // the three nodes, each answering
    waiting().until(d -> "up".equals(rowClass(1)) && "up".equals(rowClass(2)) && "up".equals(rowClass(3)));

    // write a key through the key browser, confirming the dialog
    browser.findElement(By.id("key")).sendKeys("ui/greeting");
    browser.findElement(By.id("value")).sendKeys("hello from the browser");
    browser.findElement(By.id("put")).click();
    waiting().until(ExpectedConditions.alertIsPresent()).accept();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "version 1"));
    // ...which any node serves over HTTP
    Http.Response r = Http.get(cluster.url(3) + "/v1/kv/ui/greeting");
    assertEquals(200, r.status());
    assertEquals("hello from the browser", r.body());
    assertEquals("\"1\"", r.etag());
    // and the page reads it back with its version
    browser.findElement(By.id("get")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "(version 1)"));

    // some traffic for the charts, then the screenshot for the README
    // (bounded: at most 2,000 writes or 60 s, until the charts hold 16 points)
    long until = System.nanoTime() + 60_000_000_000L;
    for (int i = 0; i < 2_000 && System.nanoTime() < until; i++) {
      Http.put(cluster.url(1 + i % 3) + "/v1/kv/ui/load-" + (i % 7), "v" + i);
      if (i % 10 == 0 && ((Number) ((JavascriptExecutor) browser).executeScript("return series.rps[0].length;"))
          .intValue() >= 16) {
        break;
      }
    }
    waiting().until(d -> !browser.findElement(By.id("now-rps")).getText().isEmpty());
    // the key browser lists what was written, where the node serves the list route
    browser.findElement(By.id("prefix")).sendKeys("ui/");
    browser.findElement(By.id("list")).click();
    if (Http.get(cluster.url(1) + "/v1/kv?limit=1").status() == 200) {
      waiting().until(d -> !browser.findElements(By.cssSelector("#keys tbody tr[data-key='ui/greeting']")).isEmpty());
    } else {
      waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("list-note"), "cannot list"));
    }
    Path shot = Path.of("target", "dashboard.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

    // a killed node turns red
    cluster.stopNode(3);
    waiting().until(d -> "down".equals(rowClass(3)));
    assertEquals("up", rowClass(1));
    assertTrue(row(3, WebElement::getText).contains("does not answer"), row(3, WebElement::getText));
  }
}
