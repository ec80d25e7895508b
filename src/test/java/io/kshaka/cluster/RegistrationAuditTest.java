package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegistrationAuditTest {
  private static final String SELF = "self";
  private static final Set<String> OWN = Set.of("kshaka.kv", "kshaka.kv.1", "kshaka.acceptor.1");

  private static List<RegistrationAudit.Entry> healthy(String... more) {
    List<RegistrationAudit.Entry> entries = new java.util.ArrayList<>();
    for (String a : OWN) entries.add(entry(a, SELF));
    entries.add(entry("kshaka.kv.2", "n2"));
    for (int i = 0; i < more.length; i += 2) entries.add(entry(more[i], more[i + 1]));
    return entries;
  }

  private static RegistrationAudit.Entry entry(String address, String node) {
    return new RegistrationAudit.Entry(address, node, address + "@" + node);
  }

  @Test
  void aHealthyDirectoryHasNoFindings() {
    RegistrationAudit audit = new RegistrationAudit();
    for (int i = 0; i < 3; i++) {
      assertTrue(audit.scan(healthy(), Set.of(SELF, "n2"), SELF, OWN).clean());
    }
  }

  @Test
  void anEntryOfANodeThatIsNotAMemberIsStaleOnlyWhenTwoScansAgree() {
    RegistrationAudit audit = new RegistrationAudit();
    Set<String> members = Set.of(SELF, "n2");
    List<RegistrationAudit.Entry> withDead = healthy("kshaka.kv.2", "dead");
    assertTrue(audit.scan(withDead, members, SELF, OWN).clean(), "one scan is not enough");
    assertEquals(List.of(entry("kshaka.kv.2", "dead")), audit.scan(withDead, members, SELF, OWN).stale());
    // once reported it is being removed: a later scan that still sees it counts afresh
    assertTrue(audit.scan(withDead, members, SELF, OWN).clean());
    assertEquals(1, audit.scan(withDead, members, SELF, OWN).stale().size());
  }

  @Test
  void aNodeThatJoinsBetweenTheReadsOfAScanIsNeverRemoved() {
    RegistrationAudit audit = new RegistrationAudit();
    // scan 1 read the members before n3 joined, the entries after it registered
    assertTrue(audit.scan(healthy("kshaka.kv.3", "n3"), Set.of(SELF, "n2"), SELF, OWN).clean());
    assertTrue(audit.scan(healthy("kshaka.kv.3", "n3"), Set.of(SELF, "n2", "n3"), SELF, OWN).clean());
  }

  @Test
  void anOwnAddressIsMissingOnlyWhenTwoScansAgree() {
    RegistrationAudit audit = new RegistrationAudit();
    Set<String> members = Set.of(SELF, "n2");
    List<RegistrationAudit.Entry> lost = healthy();
    lost.removeIf(e -> e.address().equals("kshaka.acceptor.1"));
    assertTrue(audit.scan(lost, members, SELF, OWN).clean());
    assertEquals(Set.of("kshaka.acceptor.1"), audit.scan(lost, members, SELF, OWN).missing());
    assertTrue(audit.scan(healthy(), members, SELF, OWN).clean(), "registered again");
  }

  @Test
  void anOwnAddressListedUnderAnotherNodeIdStillCountsAsMissing() {
    RegistrationAudit audit = new RegistrationAudit();
    List<RegistrationAudit.Entry> entries = healthy();
    entries.removeIf(e -> e.address().equals("kshaka.kv.1"));
    entries.add(entry("kshaka.kv.1", "n2"));
    audit.scan(entries, Set.of(SELF, "n2"), SELF, OWN);
    assertEquals(Set.of("kshaka.kv.1"), audit.scan(entries, Set.of(SELF, "n2"), SELF, OWN).missing());
  }

  @Test
  void entriesOutsideTheNamespaceAreNeverStaleNorMissing() {
    RegistrationAudit audit = new RegistrationAudit(Addresses.DEFAULT::owns);
    Set<String> members = Set.of(SELF, "n2");
    // a host application's handler and another Kshaka namespace's, both of a node that left
    List<RegistrationAudit.Entry> entries = healthy("app.orders", "dead", "green.kv.2", "dead", "kshakax.kv", "dead",
        "kshaka.kv.2", "dead");
    audit.scan(entries, members, SELF, Set.of("kshaka.kv", "app.mine"));
    RegistrationAudit.Findings findings = audit.scan(entries, members, SELF, Set.of("kshaka.kv", "app.mine"));
    assertEquals(List.of(entry("kshaka.kv.2", "dead")), findings.stale());
    assertTrue(findings.missing().isEmpty(), "an own address outside the namespace is not ours to watch");
  }
}
