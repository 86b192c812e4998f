/* Win32 backend: who may use a named kernel object. Every object memchan makes gets an
 * explicit security descriptor - owner: this process's user (not the token's default owner,
 * which for an elevated administrator is the Administrators group); DACL: that user and
 * SYSTEM, plus Everyone for objects made open to all (mode & 077, the POSIX mode's meaning
 * carried over) - so that the default DACL of whichever token made it never decides. An
 * existing object is ours when its owner is our user, or our token's default owner (what
 * this user's programs that pass no descriptor make: for an elevated administrator the
 * Administrators group): what POSIX's st_uid check is. */
#include "internal.h"

#include <windows.h>
#include <aclapi.h>

#include "platform/win32/win32.h"

mc__win_get_security_fn mc__win_get_security = GetSecurityInfo;

/* This process's user, its default owner, SYSTEM and Everyone: read once; a process's token
   does not change user. */
static struct {
  unsigned char user[SECURITY_MAX_SID_SIZE];
  unsigned char owner[SECURITY_MAX_SID_SIZE];
  unsigned char system[SECURITY_MAX_SID_SIZE];
  unsigned char world[SECURITY_MAX_SID_SIZE];
  DWORD err; /* why they could not be read, or ERROR_SUCCESS */
} sids;
static INIT_ONCE sids_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK load_sids(PINIT_ONCE once, PVOID arg, PVOID *ctx) {
  MC__UNUSED(once);
  MC__UNUSED(arg);
  MC__UNUSED(ctx);
  HANDLE tok;
  union {
    TOKEN_USER tu;
    TOKEN_OWNER to;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } info, own;
  DWORD len = 0, sys_len = sizeof sids.system, world_len = sizeof sids.world;
  sids.err = ERROR_SUCCESS;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
    sids.err = GetLastError();
    return TRUE;
  }
  if (!GetTokenInformation(tok, TokenUser, &info, sizeof info, &len) ||
      !CopySid(sizeof sids.user, sids.user, info.tu.User.Sid) ||
      !GetTokenInformation(tok, TokenOwner, &own, sizeof own, &len) ||
      !CopySid(sizeof sids.owner, sids.owner, own.to.Owner) ||
      !CreateWellKnownSid(WinLocalSystemSid, NULL, sids.system, &sys_len) ||
      !CreateWellKnownSid(WinWorldSid, NULL, sids.world, &world_len))
    sids.err = GetLastError();
  CloseHandle(tok);
  return TRUE;
}

static int have_sids(const char *object) {
  InitOnceExecuteOnce(&sids_once, load_sids, NULL, NULL);
  if (sids.err == ERROR_SUCCESS) return MC_OK;
  mc__os_fail((long)sids.err, "reading the process token's SIDs", object);
  return mc__win_err(sids.err) == MC_OK ? MC_ESYS : mc__win_err(sids.err);
}

int mc__win_security(mc__win_sa *s, DWORD everyone, const char *object) {
  int rc = have_sids(object);
  if (rc != MC_OK) return rc;
  PACL acl = (PACL)(void *)s->acl;
  /* GENERIC_ALL is mapped to each kind's full access when the object is made. */
  if (!InitializeAcl(acl, sizeof s->acl, ACL_REVISION) ||
      !AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sids.user) ||
      !AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sids.system) ||
      (everyone && !AddAccessAllowedAce(acl, ACL_REVISION, everyone, sids.world)) ||
      !InitializeSecurityDescriptor(&s->sd, SECURITY_DESCRIPTOR_REVISION) ||
      !SetSecurityDescriptorOwner(&s->sd, sids.user, FALSE) ||
      !SetSecurityDescriptorDacl(&s->sd, TRUE, acl, FALSE))
    return mc__win_fail("InitializeSecurityDescriptor", object);
  s->sa.nLength = sizeof s->sa;
  s->sa.lpSecurityDescriptor = &s->sd;
  s->sa.bInheritHandle = FALSE;
  return MC_OK;
}

int mc__win_check_owner(HANDLE h, SE_OBJECT_TYPE type, const char *object) {
  int rc = have_sids(object);
  if (rc != MC_OK) return rc;
  PSID owner = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  DWORD e = mc__win_get_security(h, type, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL, NULL,
                                 &sd);
  if (e != ERROR_SUCCESS) {
    mc__os_fail((long)e, "GetSecurityInfo", object);
    return mc__win_err(e) == MC_OK ? MC_ESYS : mc__win_err(e);
  }
  /* No owner at all is nobody else's: Wine gives objects made without a descriptor none
     (Windows always sets one); who may use such an object is the kernel's DACL check. */
  int ours = !owner || (IsValidSid(owner) &&
                        (EqualSid(owner, sids.user) || EqualSid(owner, sids.owner)));
  if (sd) LocalFree(sd);
  if (ours) return MC_OK;
  mc__os_fail(ERROR_ACCESS_DENIED, "owner check", object); /* as POSIX reports EACCES */
  return MC_EACCES;
}
