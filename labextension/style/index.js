import './base.css';
import './sidebar.css';
import './sessions.css';
