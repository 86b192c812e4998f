/* Security on Windows (built for Win32 only): the security descriptor each named kernel
 * object gets - its creating user and SYSTEM only by default, everyone too when the block or
 * channel is made with group or other bits in its mode - read back from the kernel; an
 * opener's derived objects following the block's header; an object owned by another user
 * refused unless MC_SHM_ANY_USER (the owner as another user would see it, through the
 * backend's GetSecurityInfo seam: Wine runs every process as one user); an object the kernel
 * will not let us open; and Global\ names. */
#include "harness.h"
#include "internal.h"
#include "region.h"

#include <string.h>
#include <windows.h>
#include <aclapi.h>

#define WAIT_MS 30000

/* ---- what the kernel says about an object ----------------------------------------------- */

enum { K_SECTION, K_MUTEX, K_EVENT, K_SEM };

typedef struct acl_view {
  int found;                /* the object could be opened with READ_CONTROL */
  int aces;                 /* entries in its DACL (-1: no DACL at all, everyone may do anything) */
  int user, system, world;  /* allowed entries for this user, SYSTEM, Everyone */
  int denied, others;       /* deny entries; allowed entries for anyone else */
  int owner_is_user;        /* the owner is this process's user */
} acl_view;

static PSID sid_of(WELL_KNOWN_SID_TYPE type, unsigned char *buf) {
  DWORD len = SECURITY_MAX_SID_SIZE;
  ck_assert_msg(CreateWellKnownSid(type, NULL, buf, &len), "CreateWellKnownSid: %lu",
                (unsigned long)GetLastError());
  return buf;
}

static PSID user_sid(unsigned char *buf) {
  HANDLE tok;
  unsigned char info[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  DWORD len = 0;
  ck_assert(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
  ck_assert(GetTokenInformation(tok, TokenUser, info, sizeof info, &len));
  CloseHandle(tok);
  PSID s = ((TOKEN_USER *)(void *)info)->User.Sid;
  ck_assert(CopySid(SECURITY_MAX_SID_SIZE, buf, s));
  return buf;
}

static HANDLE open_kind(int kind, const wchar_t *w) {
  switch (kind) {
  case K_SECTION: return OpenFileMappingW(READ_CONTROL, FALSE, w);
  case K_MUTEX: return OpenMutexW(READ_CONTROL, FALSE, w);
  case K_EVENT: return OpenEventW(READ_CONTROL, FALSE, w);
  default: return OpenSemaphoreW(READ_CONTROL, FALSE, w);
  }
}

/* The DACL and owner of the kernel object `os_name` ("Local\\name$suffix"). */
static acl_view view_of(int kind, const char *os_name) {
  acl_view v = {0};
  unsigned char me[SECURITY_MAX_SID_SIZE], sys[SECURITY_MAX_SID_SIZE], all[SECURITY_MAX_SID_SIZE];
  wchar_t w[300];
  ck_assert(MultiByteToWideChar(CP_UTF8, 0, os_name, -1, w, 300) > 0);
  HANDLE h = open_kind(kind, w);
  if (!h) return v;
  v.found = 1;
  PSID owner = NULL;
  PACL dacl = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  DWORD e = GetSecurityInfo(h, SE_KERNEL_OBJECT,
                            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, NULL,
                            &dacl, NULL, &sd);
  CloseHandle(h);
  ck_assert_msg(e == ERROR_SUCCESS, "GetSecurityInfo(%s): %lu", os_name, (unsigned long)e);
  user_sid(me);
  sid_of(WinLocalSystemSid, sys);
  sid_of(WinWorldSid, all);
  v.owner_is_user = owner && EqualSid(owner, me);
  v.aces = dacl ? (int)dacl->AceCount : -1;
  for (int i = 0; dacl && i < (int)dacl->AceCount; i++) {
    ACE_HEADER *ace;
    ck_assert(GetAce(dacl, (DWORD)i, (void **)&ace));
    if (ace->AceType == ACCESS_DENIED_ACE_TYPE) {
      v.denied++;
      continue;
    }
    ck_assert_int_eq(ace->AceType, ACCESS_ALLOWED_ACE_TYPE);
    PSID who = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
    if (EqualSid(who, me))
      v.user++;
    else if (EqualSid(who, sys))
      v.system++;
    else if (EqualSid(who, all))
      v.world++;
    else
      v.others++;
  }
  LocalFree(sd);
  return v;
}

static acl_view view_named(int kind, const char *name, const char *suffix) {
  char os[300];
  snprintf(os, sizeof os, "Local\\%s%s", name, suffix);
  return view_of(kind, os);
}

/* A fresh test name (64 bytes) and the wide OS name of "Local\\<name><suffix>" (300). */
static void fresh_wide(char *n, const char *tag, const char *suffix, wchar_t *w) {
  char os[300];
  th_name(n, 64, tag);
  snprintf(os, sizeof os, "Local\\%s%s", n, suffix);
  ck_assert(MultiByteToWideChar(CP_UTF8, 0, os, -1, w, 300) > 0);
}

/* Its creating user and SYSTEM, nobody else. */
static void expect_private(acl_view v, const char *what) {
  ck_assert_msg(v.found, "%s: not found", what);
  ck_assert_msg(v.owner_is_user, "%s: owned by someone else", what);
  ck_assert_msg(v.aces == 2 && v.user == 1 && v.system == 1 && v.world == 0 && v.others == 0 &&
                    v.denied == 0,
                "%s: DACL has %d entries (user %d, SYSTEM %d, Everyone %d, others %d, deny %d)",
                what, v.aces, v.user, v.system, v.world, v.others, v.denied);
}

/* The same, and Everyone. */
static void expect_open(acl_view v, const char *what) {
  ck_assert_msg(v.found, "%s: not found", what);
  ck_assert_msg(v.owner_is_user, "%s: owned by someone else", what);
  ck_assert_msg(v.aces == 3 && v.user == 1 && v.system == 1 && v.world == 1 && v.others == 0 &&
                    v.denied == 0,
                "%s: DACL has %d entries (user %d, SYSTEM %d, Everyone %d, others %d, deny %d)",
                what, v.aces, v.user, v.system, v.world, v.others, v.denied);
}

/* ---- seams ------------------------------------------------------------------------------- */

/* GetSecurityInfo as another user's process would find our objects: the real answer, with
   the owner replaced by SYSTEM's SID (or by the one in fake_owner). */
static unsigned char foreign_owner[SECURITY_MAX_SID_SIZE];
static PSID fake_owner = foreign_owner;
static int owner_queries;

static DWORD WINAPI foreign_get_security_info(HANDLE h, SE_OBJECT_TYPE type, SECURITY_INFORMATION si,
                                              PSID *owner, PSID *group, PACL *dacl, PACL *sacl,
                                              PSECURITY_DESCRIPTOR *sd) {
  DWORD e = GetSecurityInfo(h, type, si, owner, group, dacl, sacl, sd);
  if (e == ERROR_SUCCESS && owner && (si & OWNER_SECURITY_INFORMATION)) *owner = fake_owner;
  owner_queries++;
  return e;
}

static void pretend_foreign_owner(int on) {
  sid_of(WinLocalSystemSid, foreign_owner);
  fake_owner = foreign_owner;
  owner_queries = 0;
  TH_OK(mc__plat_syscall_override("GetSecurityInfo",
                                  on ? (void (*)(void))(void *)foreign_get_security_info : NULL));
}

/* CreateFileMappingW that first reads the "N$init" mutex's DACL: the creating open holds it
   when it makes the section. */
static char init_name[300];
static acl_view init_view;

static HANDLE WINAPI spy_create_mapping(HANDLE f, LPSECURITY_ATTRIBUTES sa, DWORD prot, DWORD hi,
                                        DWORD lo, LPCWSTR name) {
  init_view = view_of(K_MUTEX, init_name);
  return CreateFileMappingW(f, sa, prot, hi, lo, name);
}

static HANDLE WINAPI denied_create_mapping(HANDLE f, LPSECURITY_ATTRIBUTES sa, DWORD prot,
                                           DWORD hi, DWORD lo, LPCWSTR name) {
  (void)f, (void)sa, (void)prot, (void)hi, (void)lo, (void)name;
  SetLastError(ERROR_ACCESS_DENIED); /* what a process without SeCreateGlobalPrivilege gets */
  return NULL;
}

static uint32_t header_flags(const char *name) {
  uint32_t flags = 0;
  ck_assert_int_eq(th_raw_read(name, 24, &flags, sizeof flags), 0); /* mc__region_hdr.flags */
  return flags;
}

/* ---- new objects ---------------------------------------------------------------------------- */

START_TEST(a_new_block_admits_only_its_user_and_system) {
  char name[64];
  mc_shm *shm = th_open_block("priv", 4096, 0, MC_SHM_CREATE, name, sizeof name);
  expect_private(view_named(K_SECTION, name, ""), "section");
  ck_assert_uint_eq(header_flags(name) & MC__RF_OPEN, 0);
  mc_shm_close(shm);
}
END_TEST

START_TEST(new_sync_objects_admit_only_their_user_and_system) {
  char n[64];
  mc_mutex *mx;
  mc_event *ev;
  mc_sem *sem;
  th_name(n, sizeof n, "mx");
  TH_OK(mc_mutex_open(n, &mx));
  expect_private(view_named(K_SECTION, n, ""), "mutex's section");
  expect_private(view_named(K_MUTEX, n, "$mx"), "mutex");
  mc_mutex_close(mx);
  th_name(n, sizeof n, "ev");
  TH_OK(mc_event_open(n, 1, 0, &ev));
  expect_private(view_named(K_EVENT, n, "$ev"), "event");
  mc_event_close(ev);
  th_name(n, sizeof n, "sem");
  TH_OK(mc_sem_open(n, 0, 4, &sem));
  expect_private(view_named(K_SEM, n, "$sem"), "semaphore");
  mc_sem_close(sem);
}
END_TEST

START_TEST(a_new_channel_admits_only_its_user_and_system) {
  char n[64];
  mc_chan *rx;
  th_name(n, sizeof n, "chan");
  TH_OK(mc_chan_create(n, NULL, MC_CHAN_RECV, &rx));
  expect_private(view_named(K_SECTION, n, ""), "channel");
  mc_chan_close(rx);
}
END_TEST

START_TEST(mode_with_group_or_other_bits_admits_everyone) {
  char n[64];
  mc_shm *shm;
  mc_chan *rx;
  unsigned modes[] = {0666, 0640, 0604};
  for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    th_name(n, sizeof n, "open");
    mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE, .mode = modes[i]};
    TH_OK(mc_shm_open(n, &o, &shm));
    expect_open(view_named(K_SECTION, n, ""), "0666 block");
    ck_assert_uint_ne(header_flags(n) & MC__RF_OPEN, 0);
    mc_shm_close(shm);
  }
  th_name(n, sizeof n, "openchan");
  mc_chan_options co = {.mode = 0666};
  TH_OK(mc_chan_create(n, &co, MC_CHAN_RECV, &rx));
  expect_open(view_named(K_SECTION, n, ""), "0666 channel");
  mc_chan_close(rx);
}
END_TEST

/* Whoever makes "N$init" first, any user who may open the block must be able to take it. */
START_TEST(the_init_mutex_admits_everyone_to_wait_on_it) {
  char n[64];
  mc_shm *shm;
  th_name(n, sizeof n, "init");
  snprintf(init_name, sizeof init_name, "Local\\%s$init", n);
  memset(&init_view, 0, sizeof init_view);
  TH_OK(mc__plat_syscall_override("CreateFileMappingW", (void (*)(void))(void *)spy_create_mapping));
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE};
  int rc = mc_shm_open(n, &o, &shm);
  TH_OK(mc__plat_syscall_override("CreateFileMappingW", NULL));
  TH_OK(rc);
  mc_shm_close(shm);
  ck_assert_msg(init_view.found, "N$init not found while the section was made");
  ck_assert(init_view.owner_is_user);
  ck_assert_int_eq(init_view.user, 1);
  ck_assert_int_eq(init_view.system, 1);
  ck_assert_int_eq(init_view.world, 1);
  ck_assert_int_eq(init_view.others + init_view.denied, 0);
}
END_TEST

/* An opener's own mode does not matter: the objects it makes for a block follow the block's
   header (OPEN), so a private block stays private and an open one stays open. */
START_TEST(an_openers_derived_objects_follow_the_header) {
  for (int open = 0; open <= 1; open++) {
    char n[64], os[300];
    mc_shm *shm;
    th_name(n, sizeof n, open ? "follow-open" : "follow-priv");
    mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE, .mode = open ? 0666 : 0600};
    TH_OK(mc_shm_open(n, &o, &shm));
    mc__objname on;
    TH_OK(mc__name_parse(n, &on));
    mc__region_spec spec = {0};
    spec.kind = MC__KIND_SHM;
    spec.kinds = ~0u;
    spec.how = MC__MAP_OPEN_ONLY;
    spec.mode = open ? 0600 : 0666; /* the opposite of the creator's */
    spec.deadline = mc__deadline_ms(WAIT_MS);
    mc__region r;
    TH_OK(mc__region_open(&on, &spec, &r));
    ck_assert_int_eq(r.name.everyone, open);
    /* A futex word of the opener's, in the block's data: its semaphore is made by this wait. */
    mc__plat_futex f;
    mc__futex_word *w = (mc__futex_word *)(void *)(r.map.base + MC__HEADER_BYTES);
    mc__region_futex(&r, &f, w);
    TH_EXPECT(mc__plat_futex_wait(&f, atomic_load(&w->value), mc__deadline_ms(10)), MC_ETIMEDOUT);
    snprintf(os, sizeof os, "%s", f.name);
    acl_view v = view_of(K_SEM, os);
    if (open)
      expect_open(v, "opener's futex semaphore, open block");
    else
      expect_private(v, "opener's futex semaphore, private block");
    mc__plat_futex_unbind(&f);
    mc__region_close(&r);
    mc_shm_close(shm);
  }
}
END_TEST

START_TEST(a_channels_notifier_follows_its_mode) {
  for (int open = 0; open <= 1; open++) {
    char n[64];
    mc__objname on;
    mc__plat_notifier nt;
    th_name(n, sizeof n, "notify");
    TH_OK(mc__name_parse(n, &on));
    on.everyone = open;
    TH_OK(mc__plat_notifier_open(&nt, &on));
    acl_view v = view_of(K_EVENT, nt.name);
    if (open)
      expect_open(v, "notifier of an open channel");
    else
      expect_private(v, "notifier of a private channel");
    mc__plat_notifier_close(&nt);
  }
}
END_TEST

/* ---- another user's objects ------------------------------------------------------------------ */

START_TEST(another_users_block_is_refused_without_any_user) {
  char n[64];
  mc_shm *shm, *other = NULL;
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE, .mode = 0666};
  th_name(n, sizeof n, "foreign");
  TH_OK(mc_shm_open(n, &o, &shm));
  pretend_foreign_owner(1);
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  int refused = mc_shm_open(n, &op, &other);
  long os_err = mc_os_error();
  mc_shm_options either = {.size = 4096}; /* create or open: it exists, so opened */
  int refused_either = mc_shm_open(n, &either, &other);
  op.flags |= MC_SHM_ANY_USER;
  int accepted = mc_shm_open(n, &op, &other);
  pretend_foreign_owner(0);
  TH_EXPECT(refused, MC_EACCES);
  ck_assert_int_eq(os_err, ERROR_ACCESS_DENIED);
  TH_EXPECT(refused_either, MC_EACCES);
  TH_OK(accepted);
  /* the one we accepted is the block itself */
  unsigned char *p, *q;
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 1000, (void **)&p));
  p[0] = 0x5a;
  TH_OK(mc_shm_release(shm));
  TH_OK(mc_shm_acquire(other, MC_READ, 1000, (void **)&q));
  ck_assert_uint_eq(q[0], 0x5a);
  TH_OK(mc_shm_release(other));
  mc_shm_close(other);
  mc_shm_close(shm);
}
END_TEST

START_TEST(another_users_channel_is_refused) {
  char n[64];
  mc_chan *rx, *tx = NULL;
  th_name(n, sizeof n, "foreignchan");
  mc_chan_options co = {.mode = 0666};
  TH_OK(mc_chan_create(n, &co, MC_CHAN_RECV, &rx));
  pretend_foreign_owner(1);
  int rc = mc_chan_open(n, MC_CHAN_SEND, 1000, &tx);
  pretend_foreign_owner(0);
  TH_EXPECT(rc, MC_EACCES);
  TH_OK(mc_chan_open(n, MC_CHAN_SEND, 1000, &tx));
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

START_TEST(another_users_block_file_is_refused_without_any_user) {
  char n[64], path[512];
  mc_shm *shm, *other = NULL;
  th_name(n, sizeof n, "foreignfile");
  th_temp_file(path, sizeof path, n);
  remove(path);
  mc_shm_options o = {.size = 4096, .mode = 0666, .path = path};
  TH_OK(mc_shm_open(n, &o, &shm));
  pretend_foreign_owner(1);
  int refused = mc_shm_open(n, &o, &other);
  o.flags = MC_SHM_ANY_USER;
  int accepted = mc_shm_open(n, &o, &other);
  pretend_foreign_owner(0);
  TH_EXPECT(refused, MC_EACCES);
  TH_OK(accepted);
  mc_shm_close(other);
  mc_shm_close(shm);
  /* Nobody holds it now: the file itself is another user's. */
  o.flags = 0;
  TH_OK(mc_shm_open(n, &o, &shm)); /* ours, as the file system says */
  mc_shm_close(shm);
  pretend_foreign_owner(1);
  refused = mc_shm_open(n, &o, &other);
  o.flags = MC_SHM_ANY_USER;
  accepted = mc_shm_open(n, &o, &other);
  pretend_foreign_owner(0);
  TH_EXPECT(refused, MC_EACCES);
  TH_OK(accepted);
  mc_shm_close(other);
  remove(path);
}
END_TEST

/* Another user made "N$mx" before our mutex existed (a squatter): its lock is not ours. */
START_TEST(a_squatted_derived_object_of_a_private_block_is_refused) {
  char n[64];
  wchar_t w[300];
  mc_mutex *mx = NULL;
  fresh_wide(n, "squat", "$mx", w);
  HANDLE squatter = CreateMutexW(NULL, FALSE, w);
  ck_assert(squatter != NULL);
  pretend_foreign_owner(1);
  int rc = mc_mutex_open(n, &mx);
  int asked = owner_queries;
  pretend_foreign_owner(0);
  TH_EXPECT(rc, MC_EACCES);
  ck_assert_int_gt(asked, 0);
  CloseHandle(squatter);
  /* and with the squatter gone, the name works */
  TH_OK(mc_mutex_open(n, &mx));
  TH_OK(mc_mutex_lock(mx, 1000));
  TH_OK(mc_mutex_unlock(mx));
  mc_mutex_close(mx);
}
END_TEST

/* What this user's programs make without a descriptor is owned by the token's default owner
   (on Windows, an elevated administrator's: the Administrators group), or under Wine by
   nobody at all: not another user's. */
START_TEST(the_default_owner_or_no_owner_is_ours) {
  char n[64];
  mc_shm *shm, *other = NULL;
  unsigned char tok_owner[SECURITY_MAX_SID_SIZE];
  union {
    TOKEN_OWNER to;
    unsigned char bytes[sizeof(TOKEN_OWNER) + SECURITY_MAX_SID_SIZE];
  } info;
  HANDLE tok;
  DWORD len;
  ck_assert(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
  ck_assert(GetTokenInformation(tok, TokenOwner, &info, sizeof info, &len));
  CloseHandle(tok);
  ck_assert(CopySid(sizeof tok_owner, tok_owner, info.to.Owner));
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE};
  th_name(n, sizeof n, "defowner");
  TH_OK(mc_shm_open(n, &o, &shm));
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  pretend_foreign_owner(1);
  fake_owner = tok_owner;
  int by_default_owner = mc_shm_open(n, &op, &other);
  if (by_default_owner == MC_OK) mc_shm_close(other);
  fake_owner = NULL;
  int by_nobody = mc_shm_open(n, &op, &other);
  if (by_nobody == MC_OK) mc_shm_close(other);
  int asked = owner_queries;
  pretend_foreign_owner(0);
  TH_OK(by_default_owner);
  TH_OK(by_nobody);
  ck_assert_int_ge(asked, 2);
  mc_shm_close(shm);
}
END_TEST

/* A section whose DACL admits nobody: the kernel refuses the open, and so do we. */
START_TEST(an_object_the_kernel_denies_us_is_eacces) {
  char n[64];
  wchar_t w[300];
  mc_shm *shm = NULL;
  fresh_wide(n, "denied", "", w);
  SECURITY_DESCRIPTOR sd;
  ACL empty;
  ck_assert(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
  ck_assert(InitializeAcl(&empty, sizeof empty, ACL_REVISION));
  ck_assert(SetSecurityDescriptorDacl(&sd, TRUE, &empty, FALSE));
  SECURITY_ATTRIBUTES sa = {sizeof sa, &sd, FALSE};
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 65536, w);
  ck_assert(h != NULL);
  mc_shm_options o = {.flags = MC_SHM_OPEN | MC_SHM_ANY_USER};
  int rc = mc_shm_open(n, &o, &shm);
  long os_err = mc_os_error();
  mc_shm_options either = {.size = 4096, .flags = MC_SHM_ANY_USER};
  int rc_either = mc_shm_open(n, &either, &shm);
  CloseHandle(h);
  TH_EXPECT(rc, MC_EACCES);
  ck_assert_int_eq(os_err, ERROR_ACCESS_DENIED);
  TH_EXPECT(rc_either, MC_EACCES);
}
END_TEST

/* ---- Global\ ------------------------------------------------------------------------------- */

START_TEST(a_global_name_is_one_block) {
  char base[64], n[80];
  mc_shm *a, *b;
  th_name(base, sizeof base, "global");
  snprintf(n, sizeof n, "Global\\%s", base);
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE};
  TH_OK(mc_shm_open(n, &o, &a));
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  TH_OK(mc_shm_open(n, &op, &b));
  unsigned char *p, *q;
  TH_OK(mc_shm_acquire(a, MC_WRITE, 1000, (void **)&p));
  p[7] = 7;
  TH_OK(mc_shm_release(a));
  TH_OK(mc_shm_acquire(b, MC_READ, 1000, (void **)&q));
  ck_assert_uint_eq(q[7], 7);
  TH_OK(mc_shm_release(b));
  char os[300];
  snprintf(os, sizeof os, "Global\\%s", base);
  expect_private(view_of(K_SECTION, os), "Global\\ section");
  /* not the Local\ block of the same base name */
  mc_shm *local = NULL;
  TH_EXPECT(mc_shm_open(base, &op, &local), MC_ENOENT);
  mc_shm_close(b);
  mc_shm_close(a);
}
END_TEST

START_TEST(creating_a_global_block_without_the_privilege_is_eacces) {
  char base[64], n[80];
  mc_shm *shm = NULL;
  th_name(base, sizeof base, "noglobal");
  snprintf(n, sizeof n, "Global\\%s", base);
  TH_OK(mc__plat_syscall_override("CreateFileMappingW",
                                  (void (*)(void))(void *)denied_create_mapping));
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE};
  int rc = mc_shm_open(n, &o, &shm);
  long os_err = mc_os_error();
  TH_OK(mc__plat_syscall_override("CreateFileMappingW", NULL));
  TH_EXPECT(rc, MC_EACCES);
  ck_assert_int_eq(os_err, ERROR_ACCESS_DENIED);
  /* nothing was left behind: the name is free */
  TH_OK(mc_shm_open(n, &o, &shm));
  mc_shm_close(shm);
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("win_security");
  TCase *tc = th_tcase(s, "security", 60);
  tcase_add_test(tc, a_new_block_admits_only_its_user_and_system);
  tcase_add_test(tc, new_sync_objects_admit_only_their_user_and_system);
  tcase_add_test(tc, a_new_channel_admits_only_its_user_and_system);
  tcase_add_test(tc, mode_with_group_or_other_bits_admits_everyone);
  tcase_add_test(tc, the_init_mutex_admits_everyone_to_wait_on_it);
  tcase_add_test(tc, an_openers_derived_objects_follow_the_header);
  tcase_add_test(tc, a_channels_notifier_follows_its_mode);
  tcase_add_test(tc, another_users_block_is_refused_without_any_user);
  tcase_add_test(tc, another_users_channel_is_refused);
  tcase_add_test(tc, another_users_block_file_is_refused_without_any_user);
  tcase_add_test(tc, a_squatted_derived_object_of_a_private_block_is_refused);
  tcase_add_test(tc, the_default_owner_or_no_owner_is_ours);
  tcase_add_test(tc, an_object_the_kernel_denies_us_is_eacces);
  tcase_add_test(tc, a_global_name_is_one_block);
  tcase_add_test(tc, creating_a_global_block_without_the_privilege_is_eacces);
  return th_main(argc, argv, s, NULL);
}
