"""The accounts page's wording (``/admin/users``), Vietnamese first, English second. Its
own catalog, like the suggestion box's: the template says ``a("key")``, the script
``W.key`` (every key here reaches the script)."""

from __future__ import annotations

from protocol.i18n import Catalog, Lang

STRINGS = Catalog(
    {
        "title": ("Quản lý tài khoản", "Accounts"),
        "accounts": ("Tài khoản", "Accounts"),
        "add": ("Thêm tài khoản", "Add an account"),
        "username": ("Tên đăng nhập", "Username"),
        "role": ("Vai trò", "Role"),
        "clerk": ("Cán bộ", "Clerk"),
        "no_clerk": ("— (không phải cán bộ)", "— (not a clerk)"),
        "password": ("Mật khẩu", "Password"),
        "password_hint": (
            "Để trống: tự tạo và hiện một lần",
            "Empty: generated, shown once",
        ),
        "created": ("Ngày tạo", "Created"),
        "last_login": ("Đăng nhập gần nhất", "Last log-in"),
        "state": ("Trạng thái", "State"),
        "active": ("Đang dùng", "Active"),
        "disabled": ("Đã khoá từ {at}", "Disabled since {at}"),
        "actions": ("Thao tác", "Actions"),
        "disable": ("Khoá", "Disable"),
        "enable": ("Mở khoá", "Enable"),
        "reset": ("Đặt lại mật khẩu", "Reset password"),
        "delete": ("Xoá", "Delete"),
        "confirm_disable": (
            "Khoá tài khoản {user}? Mọi phiên đăng nhập của tài khoản này sẽ kết thúc.",
            "Disable {user}? Every session of this account ends.",
        ),
        "confirm_reset": (
            "Đặt lại mật khẩu của {user}? Hệ thống tạo mật khẩu mới; các phiên đăng nhập kết thúc.",
            "Reset the password of {user}? A new one is generated; its sessions end.",
        ),
        "confirm_delete": (
            "Xoá hẳn tài khoản {user}? Không thể hoàn tác. Nên khoá thay vì xoá.",
            "Delete {user} for good? This cannot be undone. Disabling is usually better.",
        ),
        "new_password": (
            "Mật khẩu mới của {user} (chỉ hiện một lần, hãy ghi lại):",
            "New password of {user} (shown once, write it down):",
        ),
        "done": ("Đã lưu", "Saved"),
        "you": ("(bạn)", "(you)"),
        "never": ("Chưa", "Never"),
        "audit": ("Nhật ký thay đổi", "Audit log"),
        "at": ("Thời điểm", "When"),
        "actor": ("Người thực hiện", "By"),
        "action": ("Thao tác", "Action"),
        "target": ("Tài khoản", "Account"),
        "detail": ("Chi tiết", "Detail"),
        "newer": ("◀ Mới hơn", "◀ Newer"),
        "older": ("Cũ hơn ▶", "Older ▶"),
        "page_of": ("{from}–{to} / {total}", "{from}–{to} of {total}"),
        "empty": ("Chưa có thay đổi nào", "No changes yet"),
        "failed": ("Không thực hiện được: {why}", "Not done: {why}"),
        "act_add": ("Tạo", "Added"),
        "act_disable": ("Khoá", "Disabled"),
        "act_enable": ("Mở khoá", "Enabled"),
        "act_reset_password": ("Đặt lại mật khẩu", "Password reset"),
        "act_delete": ("Xoá", "Deleted"),
        "act_revoke": ("Thu hồi phiên", "Sessions revoked"),
        "act_board_token": ("Cấp địa chỉ màn hình", "Board address issued"),
        # the audit row's detail: its key=value pairs as words (the log keeps the pairs)
        "d_role": ("vai trò {v}", "role {v}"),
        "d_clerk": ("cán bộ {v}", "clerk {v}"),
        "d_sessions_ended": ("{v} phiên đăng nhập kết thúc", "{v} session(s) ended"),
        "d_password": ("mật khẩu {v}", "password {v}"),
        "d_days": ("hiệu lực {v} ngày", "valid {v} days"),
        "v_generated": ("tự tạo", "generated"),
        "v_given": ("do quản trị viên nhập", "typed by the admin"),
    }
)


def text(lang: Lang, key: str, **values: object) -> str:
    return STRINGS.text(key, lang, **values)


def js_strings(lang: Lang) -> dict[str, str]:
    """Every string, in the page's language, for the script (placeholders kept)."""
    return {key: STRINGS.text(key, lang) for key in STRINGS}
