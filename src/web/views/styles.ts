import { PLAN_CSS } from '../../plan-view/html.js';

/** The page's one stylesheet (served as /static/app.css): readable on a phone, no web fonts. */
export const APP_CSS = `${PLAN_CSS}
*{box-sizing:border-box}
body{margin:0;padding:0 1rem 2rem;max-width:60rem;margin-inline:auto;line-height:1.45}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.8rem 0;border-bottom:1px solid #e5e5e5;margin-bottom:1rem}
header.top .brand{font-weight:700}
nav a{margin-right:.8rem}
form.inline{display:inline}
button,.button{font:inherit;padding:.55rem 1rem;border-radius:6px;border:1px solid #8c8c8c;background:#f6f8fa;cursor:pointer;min-height:2.6rem}
button.approve{background:#116329;color:#fff;border-color:#116329}
button.deny{background:#a40e26;color:#fff;border-color:#a40e26}
button:disabled{opacity:.5;cursor:not-allowed}
textarea{width:100%;font:inherit;padding:.5rem;border-radius:6px;border:1px solid #8c8c8c}
.table-wrap{overflow-x:auto}
table.list{border-collapse:collapse;width:100%}
table.list th,table.list td{border-bottom:1px solid #e5e5e5;padding:.4rem .5rem;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:1rem;font-size:.85rem;border:1px solid #d0d7de}
.badge.privileged{background:#fff8c5;border-color:#d4a72c}
.notice{background:#ddf4ff;border:1px solid #54aeff;padding:.6rem .8rem;border-radius:6px}
.refusal{background:#fdecea;border:1px solid #f5c2c0;padding:.6rem .8rem;border-radius:6px}
.ok{background:#dafbe1;border:1px solid #4ac26b;padding:.6rem .8rem;border-radius:6px}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.6rem}
code.wrap{word-break:break-all}
details.target{border:1px solid #e5e5e5;border-radius:6px;padding:.4rem .7rem;margin:.5rem 0}
details.target summary{cursor:pointer;padding:.2rem 0}
@media (max-width:600px){body{padding:0 .6rem 1.5rem}.nhi-plan table{font-size:.9rem}}
`;
